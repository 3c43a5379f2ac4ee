package validate

import "testing"

// FuzzValidators feeds arbitrary strings to every validator: none may panic,
// and a valid name must always yield valid unit names.
func FuzzValidators(f *testing.F) {
	for _, s := range []string{"vision", "a-b", "nvidia.com/gpu=all", "/dev/dri:/dev/dri:rw", "/a:/b:ro", "[::1]:80:80", "keep-id:uid=1", "http://[::1]:8080/x", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fn := range []func(string) error{
			UnitName, CDIDevice, Device, Image, Volume, EnvName, EnvValue, ExecArg,
			Description, Capability, Tag, URL, UserNS, IPAddress, PublishPort,
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
	})
}
