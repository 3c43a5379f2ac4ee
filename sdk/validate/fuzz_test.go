package validate

import (
	"strings"
	"testing"
)

// FuzzValidators feeds arbitrary strings to every validator: none may panic,
// and a valid name must always yield valid unit names.
func FuzzValidators(f *testing.F) {
	for _, s := range []string{"/dev/dri /etc/shadow", "/dev/dri\"/x\"", "evil.image", "x.volume:/d", "/srv/${PATH}x:/y", "pod", "soulstone-x", "vessel", "trail\\",
		"vision", "a-b", "nvidia.com/gpu=all", "/dev/dri:/dev/dri:rw", "/a:/b:ro", "[::1]:80:80", "keep-id:uid=1", "http://[::1]:8080/x", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fn := range []func(string) error{
			UnitName, CDIDevice, Device, Image, Volume, EnvName, EnvValue, ExecArg,
			Description, Capability, Tag, URL, UserNS, IPAddress, PublishPort,
			HostPath, AlwaysOnName, NotCoreRune, CovenName,
		} {
			if err := fn(s); err != nil && err.Error() == "" {
				t.Fatalf("empty error message for %q", s)
			}
		}
		if Name(s) == nil {
			for _, unit := range []string{"lychd-soulstone-" + s + ".service", "lychd-coven-" + s + ".target", "lychd-" + s + ".service"} {
				if err := UnitName(unit); err != nil {
					t.Fatalf("name %q is valid but unit %q is not: %v", s, unit, err)
				}
			}
			if Capability(s) != nil || Tag(s) != nil {
				t.Fatalf("name %q is valid but not as a tag or capability", s)
			}
		}
		if CDIDevice(s) == nil && Device(s) != nil {
			t.Fatalf("CDI name %q is not a valid device", s)
		}
		// What Quadlet would split, unquote or take for its own units never
		// passes.
		if Device(s) == nil && (strings.ContainsAny(s, " \t\"'\\$%") || strings.HasPrefix(s, "-")) {
			t.Fatalf("device %q passes but Quadlet would split or unquote it", s)
		}
		if Image(s) == nil && (strings.HasSuffix(s, ".image") || strings.HasSuffix(s, ".build") || strings.ContainsAny(s, "\"%$")) {
			t.Fatalf("image %q passes but Quadlet would read it as a unit or systemd expand it", s)
		}
		if Volume(s) == nil {
			src, _, _ := strings.Cut(s, ":")
			if strings.HasSuffix(src, ".volume") || strings.ContainsAny(s, "\"%") || (strings.HasPrefix(src, "/") && strings.ContainsAny(src, "'\\$")) {
				t.Fatalf("volume %q passes but Quadlet or systemd would read it differently", s)
			}
		}
		for _, fn := range []func(string) error{Description, Volume, HostPath} {
			if fn(s) == nil && s != "" && (strings.HasSuffix(s, "\\") || strings.TrimSpace(s) != s) {
				t.Fatalf("%q passes with white space or a backslash at an end", s)
			}
		}
		if ExecArg(s) == nil && (s == "" || s == ";") {
			t.Fatalf("exec argument %q passes", s)
		}
		if UnitName(s) == nil && strings.ContainsAny(s, "\\ %") {
			t.Fatalf("unit name %q passes", s)
		}
	})
}
