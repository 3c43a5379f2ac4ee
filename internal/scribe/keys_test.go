package scribe

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/unitfile"
	"github.com/lychd/lychd/internal/verify"
)

// keyRule is one key the Scribe writes: how Quadlet 5.4 and systemd 252
// read it and the rule lychd applies. docs/units.md is the same table for
// readers; TestEmittedKeysAreListed keeps this one exact.
type keyRule struct {
	file, section, key string
	// reads says how Quadlet and systemd read the value.
	reads string
	// rule is the value constructor and the validation rule.
	rule string
}

// File kinds of keyRule.file.
const (
	filePod       = "lychd.pod"
	fileContainer = ".container"
	fileTarget    = "coven .target"
	fileHold      = "hold .target"
)

var emittedKeys = []keyRule{
	{filePod, "Unit", "Description", "copied into the pod's service; systemd expands specifiers", "Literal, constant"},
	{filePod, "Pod", "PodName", "Lookup: trailing white space and every leading/trailing '\"' stripped; podman --name", "Arg, constant \"lychd\""},
	{filePod, "Pod", "UserNS", "Lookup (as PodName); podman --userns", "Arg; validate.UserNS (keep-id[:uid=N,gid=N], auto, host, nomap)"},
	{filePod, "Pod", "PublishPort", "LookupAll: raw, one podman --publish each, quotes kept", "Arg; validate.PublishPort (digits, IP, brackets, /tcp|/udp)"},
	{filePod, "Pod", "PodmanArgs", "LookupAllArgs: split on white space, unquoted, appended to podman pod create", "Arg; a constant (--exit-policy=continue), no user value"},
	{filePod, "Pod", "ShmSize", "Lookup (as PodName); podman pod create --shm-size", "Arg; preset.ValidateShmSize (digits and one unit b, k, m or g); the largest of the runes' shm_size"},
	{filePod, "Install", "WantedBy", "strv: split on white space, unquoted; Quadlet links the service into the target's .wants", "List, constant"},
	{fileContainer, "Unit", "Description", "copied into the service; systemd expands specifiers, not $", "Literal ('%' doubled); validate.Description (one line, no control characters, no leading/trailing white space or trailing '\\', 1 KiB)"},
	{fileContainer, "Unit", "Wants", "copied; systemd splits on white space (unit names)", "List; validate.UnitName for user entries (letters, digits, : _ . @ -)"},
	{fileContainer, "Unit", "Requires", "as Wants", "as Wants"},
	{fileContainer, "Unit", "PartOf", "as Wants", "List of lychd's own names"},
	{fileContainer, "Unit", "After", "as Wants", "as Wants"},
	{fileContainer, "Unit", "Conflicts", "as Wants", "List of lychd's own names (a presence group of one)"},
	{fileContainer, "Container", "ContainerName", "Lookup (as PodName); podman --name", "Arg of lychd's unit name"},
	{fileContainer, "Container", "Image", "Lookup (as PodName); a value ending in .image or .build names a Quadlet unit", "Arg; validate.Image (reference characters only, not -, not .image/.build)"},
	{fileContainer, "Container", "Pod", "Lookup; must name a .pod Quadlet has", "Literal, constant lychd.pod"},
	{fileContainer, "Container", "StartWithPod", "Lookup as a boolean", "Literal, constant false"},
	{fileContainer, "Container", "AddDevice", "strv: split on white space, quotes removed, escapes kept; a leading '-' makes the device optional", "Word (no white space, quotes or '\\'); validate.Device (CDI name, or /dev path of letters, digits and / . _ + -)"},
	{fileContainer, "Container", "Volume", "LookupAll: raw; cut at ':'; a host path also goes to RequiresMountsFor= (systemd unquotes it), a source ending in .volume names a Quadlet unit", "Arg (core: Specifier); validate.Volume (no space, %, quotes, '\\' or $ in the host path, not .volume)"},
	{fileContainer, "Container", "Environment", "split like a command line, unquoted, C escapes decoded, cut at the first '='; podman --env", "EnvAssign (one quoted word; core: EnvSpecifier, whose %h systemd expands); validate.EnvName, validate.EnvValue"},
	{fileContainer, "Container", "HealthCmd", "Lookup (as PodName); podman --health-cmd, which runs a JSON array without a shell", "Arg of a JSON array; validate.ExecArg for each element"},
	{fileContainer, "Container", "HealthInterval", "Lookup (as PodName); podman --health-interval", "Arg of whole seconds (\"10s\")"},
	{fileContainer, "Container", "HealthTimeout", "as HealthInterval; podman --health-timeout", "as HealthInterval"},
	{fileContainer, "Container", "HealthStartPeriod", "as HealthInterval; podman --health-start-period", "as HealthInterval"},
	{fileContainer, "Container", "HealthRetries", "Lookup (as PodName); podman --health-retries", "Arg of an integer"},
	{fileContainer, "Container", "HealthStartupCmd", "as HealthCmd; podman --health-startup-cmd, the same command run until it first passes, after which Podman runs the regular check at once", "as HealthCmd, written only with HealthCmd= and the same value"},
	{fileContainer, "Container", "HealthStartupInterval", "as HealthInterval; podman --health-startup-interval", "Arg of a constant (\"1s\")"},
	{fileContainer, "Container", "HealthStartupTimeout", "as HealthInterval; podman --health-startup-timeout", "as HealthInterval"},
	{fileContainer, "Container", "Notify", "Lookup; \"healthy\" makes podman --sdnotify=healthy and the service Type=notify: the start job ends when the health check passes", "Literal, constant healthy, written only with HealthCmd="},
	{fileContainer, "Container", "PodmanArgs", "LookupAllArgs: split like a command line, unquoted, added to podman run", "Words of one word --memory=SIZE; preset.ValidateMemory (digits and one unit b, k, m or g, at least 6m)"},
	{fileContainer, "Container", "Secret", "LookupAllArgs: split on white space, unquoted; one podman --secret each", "Arg of validate.ParseSecret's canonical form (secret name: letters, digits, _ . -; options type=mount|env and target=, an env name or a clean path); names only, never a value"},
	{fileContainer, "Container", "Exec", "split like a command line (last Exec= only); appended after the image", "Words (quoted, ';' and empty words refused); validate.ExecArg"},
	{fileContainer, "Container", "User", "Lookup (as PodName); with Group= podman --user USER:GROUP; systemd expands the specifier in ExecStart=", "Specifier, constant %U (HostUser only)"},
	{fileContainer, "Container", "Group", "as User", "Specifier, constant %G (HostUser only)"},
	{fileContainer, "Service", "Restart", "copied; systemd enum", "Literal, constant (not for one-shots)"},
	{fileContainer, "Service", "Type", "copied; oneshot makes Quadlet run podman in the foreground (no -d, no --sdnotify) and keep the type", "Literal, constant oneshot (one-shots only)"},
	{fileContainer, "Service", "ExecStop", "copied before Quadlet's own ExecStop= (systemd runs them in order); systemd expands specifiers (%t, %N)", "Specifier, constant stopFirst (soulstones only)"},
	{fileContainer, "Service", "TimeoutStartSec", "copied; systemd time span", "Literal of whole seconds; validate.StartTimeout"},
	{fileTarget, "Unit", "Description", "systemd expands specifiers", "Literal of lychd's text and a coven name (validate.Name)"},
	{fileTarget, "Unit", "Wants", "systemd splits on white space", "List of lychd's unit names"},
	{fileHold, "Unit", "Description", "systemd expands specifiers", "Literal of lychd's text and coven names"},
	{fileHold, "Unit", "StopWhenUnneeded", "systemd boolean", "Literal, constant"},
	{fileHold, "Unit", "StartLimitIntervalSec", "systemd time span", "Literal, constant"},
	{fileHold, "Unit", "After", "systemd splits on white space", "List of lychd's unit names (AddWrapped)"},
	{fileHold, "Unit", "Conflicts", "as After", "as After"},
}

// fileKind classifies a generated file for emittedKeys.
func fileKind(name string) string {
	switch {
	case name == "lychd.pod":
		return filePod
	case strings.HasSuffix(name, ".container"):
		return fileContainer
	case strings.HasPrefix(name, "lychd-hold-"):
		return fileHold
	}
	return fileTarget
}

// TestEmittedKeysAreListed compiles every golden manifest and the manifest
// of TestValuesThroughQuadlet and checks that emittedKeys lists exactly the
// keys they use: a key added to the Scribe must be added to the table, and
// so checked here.
func TestEmittedKeysAreListed(t *testing.T) {
	seen := map[string]bool{}
	listed := map[string]bool{}
	for _, k := range emittedKeys {
		listed[k.file+" ["+k.section+"] "+k.key] = true
	}
	record := func(out *Output) {
		for _, f := range append(append([]File(nil), out.Quadlet...), out.Systemd...) {
			p, err := unitfile.Parse(f.Data)
			if err != nil {
				t.Fatalf("%s: %v", f.Name, err)
			}
			for _, sec := range p.Sections() {
				for _, e := range sec.Entries {
					id := fileKind(f.Name) + " [" + sec.Name + "] " + e.Key
					seen[id] = true
					if !listed[id] {
						t.Errorf("%s writes %s=, which emittedKeys does not list: add it with how Quadlet reads it and the rule that keeps it safe, and check it through Quadlet", f.Name, id)
					}
				}
			}
		}
	}
	for name, m := range goldenCases {
		out, err := Compile(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		record(out)
	}
	m, _ := keysManifest(t)
	out, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	record(out)
	for id := range listed {
		if !seen[id] {
			t.Errorf("emittedKeys lists %s, which no test manifest writes; remove it or add it to a golden case", id)
		}
	}
}

// candidates are values pushed at every user-controlled key: the ones the
// Codex accepts must reach podman and systemd exactly; the ones listed in
// mustRefuse must be refused. Each becomes its own soulstone.
var candidates = map[string][]string{
	"devices": {
		"/dev/dri", "/dev/dri/renderD128", "/dev/kfd:/dev/kfd:rw", "/dev/bus/usb/001/002", "/dev/a+b_c.d-e",
		"nvidia.com/gpu=all", "vendor.example_x/class-1=a.b:c",
		"/dev/dri /etc/shadow", "/dev/dri -/dev/kvm", `/dev/dri"/x"`, "/dev/dri'/x'", `/dev/a\x20b`, `/dev/a\ b`,
		"/dev/$HOME", "/dev/${X}", "/dev/%h", "/dev/dri\u00a0", "/dev/dri\u00a0/etc/shadow", "/dev/dri\t/etc/shadow",
		"-/dev/kvm", "-nvidia.com/gpu=all", "/dev/a;b", "/dev/#x", "/dev/dri\\",
	},
	"volumes": {
		"/srv/models:/models:ro,Z", "models:/models", "models.volumes:/m", "/srv/a:/x'y$Z\\w", "/srv/ü:/ü", "/srv/a;b:/c",
		"/srv/#a:/b", "/srv/a=b:/c", "/srv/[x]:/y", "/srv/a*b:/c", "/srv/a,b:/c:ro", "/srv/a:/b:idmap=uids=0-1-2",
		"/srv/a\"b:/x", "/srv/${PATH}x:/y", "/srv/$HOME:/y", "/srv/a'b:/x", `/srv/a\b:/x`, "x.volume:/data",
		"/srv/a b:/x", `/srv/a:/b\`, "/srv/a:/b\u00a0", "\u00a0/srv/a:/b", "/srv/%h:/b", `"/a:/b"`, `/srv/a:/x"`,
	},
	"image": {
		"docker.io/library/busybox:1.36", "[::1]:5000/a/b:c", "a+b_c.d-e/f@sha256:00", "docker.io/x.images", "docker.io/library/image",
		"evil.image", "x.build", `"quoted"`, `"q`, "img$X", "-v", "a b",
	},
	"exec": {
		"plain", "two words", " lead", "trail ", `"double"`, `'single'`, `it's`, `back\slash`, `ends\`, `\`, `"`, "'",
		"100%", "%h", "%%", "$HOME", "${X}", "$$", "$", "a;b", ";x", "--opt=a b", "=", "unicode ✓ ü 日本",
		"[Service]", "#x", ";y", "nbsp\u00a0", "\u00a0", "\u2028", `\n`, `\x41`, "--env=A=1",
		"tab\tx", "x\nExecStartPre=/bin/evil", "", ";",
	},
	"environment": {
		"value", "", " a  b ", "$HOME", "${X}", "%h 100%", `say "hi" it's`, `C:\dir\`, ";", "a=b=c", "✓ ü", "\u00a0",
		"one\nExecStartPre=/bin/evil", "tab\there", strings.Repeat("x", 8192), strings.Repeat("x", 70000),
	},
	"description": {
		`100% "q" $HOME ${X} ;#`, "[Service]", "a\u00a0b", "✓",
		"x\nExecStartPre=/bin/evil", " lead", "trail ", `ends\`, "a\u00a0",
	},
	"health_cmd": {
		"curl", "two words", `"double"`, `it's`, `back\slash`, `ends\`, `"`, "100%", "%h", "$HOME", "${X}", "a;b", ";",
		"[Service]", "#x", "unicode ✓ ü 日本", "nbsp\u00a0", `\u0022`, "</script>", "x\nExecStartPre=/bin/evil", "tab\tx", "",
	},
	"memory": {
		"16g", "6m", "4096m", "7340032", "1m", "16 g", "$HOME", "16g;x", "--memory=1g", "", "%h", "16G",
	},
	"shm_size": {
		"1g", "512m", "2048k", "1 g", "$X", "%h", "-1g", "1t", "0", "",
	},
	"secrets": {
		"hf-token", "A.b_c-1", "hf,type=env,target=HF_TOKEN", "ca,target=/etc/ca.pem", "k,type=mount,target=x/y",
		"a b", "-x", "$HOME", "%h", "x,type=env,target=A B", `"q"`, "a\nb", "x,uid=0", "x,target=/a b", "x,target=$HOME",
		"x,type=env,target=%h", "x y,target=z", "x,target=/a'b",
	},
	"after": {
		"network-online.target", "getty@tty1.service", "a:b_c.service",
		`foo\x2dbar.service`, "a b.service", "x.service y.service", "%n.service", "-x.service", "a.container",
	},
}

// mustRefuse are the candidates the Codex must refuse: the attacks that
// reached Quadlet before and values Quadlet or systemd would change.
var mustRefuse = map[string][]string{
	"devices":     {"/dev/dri /etc/shadow", "/dev/dri -/dev/kvm", `/dev/dri"/x"`, "/dev/dri'/x'", `/dev/a\x20b`, "/dev/$HOME", "/dev/%h", "-/dev/kvm"},
	"volumes":     {"/srv/a\"b:/x", "/srv/${PATH}x:/y", "/srv/a'b:/x", `/srv/a\b:/x`, "x.volume:/data", `/srv/a:/b\`, "/srv/a:/b\u00a0", `/srv/a:/x"`},
	"image":       {"evil.image", "x.build", `"quoted"`, `"q`},
	"after":       {"a b.service", "x.service y.service", "%n.service", `foo\x2dbar.service`},
	"exec":        {"", ";"},
	"description": {" lead", "trail ", `ends\`, "a\u00a0"},
	"environment": {strings.Repeat("x", 70000)},
	"health_cmd":  {"x\nExecStartPre=/bin/evil", "tab\tx"},
	"memory":      {"1m", "16 g", "$HOME", "16g;x", "--memory=1g", "", "%h", "16G"},
	"shm_size":    {"1 g", "$X", "%h", "-1g", "1t", "0", ""},
	"secrets":     {"a b", "-x", "$HOME", "%h", "x,type=env,target=A B", `"q"`, "x,uid=0", "x,target=/a b", "x,target=$HOME", "x,type=env,target=%h", "x,target=/a'b"},
}

// tomlString writes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f):
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// soulstoneTOML is the table of soulstone name with value at key.
func soulstoneTOML(name, key, value string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s]\ngroups = [\"keys\"]\n", name)
	if key != "image" {
		b.WriteString("image = \"docker.io/library/busybox:1.36\"\n")
	}
	switch key {
	case "image", "description", "memory", "shm_size":
		fmt.Fprintf(&b, "%s = %s\n", key, tomlString(value))
	case "environment":
		fmt.Fprintf(&b, "environment = { V = %s }\n", tomlString(value))
	default:
		fmt.Fprintf(&b, "%s = [%s]\n", key, tomlString(value))
	}
	return b.String()
}

// keysManifest loads each candidate on its own to sort accepted from
// refused values, then returns the manifest of every accepted one (one
// soulstone each, all in one coven) and what each soulstone carries.
func keysManifest(t *testing.T) (*model.Manifest, map[string][2]string) {
	t.Helper()
	carries := map[string][2]string{} // soulstone -> key, value
	accepted := map[string]int{}
	var all strings.Builder
	keys := make([]string, 0, len(candidates))
	for k := range candidates {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		refuse := map[string]bool{}
		for _, v := range mustRefuse[key] {
			refuse[v] = true
		}
		for i, v := range candidates[key] {
			name := fmt.Sprintf("k-%s-%d", strings.ReplaceAll(key, "_", "-"), i)
			table := soulstoneTOML(name, key, v)
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "soulstones"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "soulstones", "k.toml"), []byte(table), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := codex.Load(dir)
			switch {
			case err != nil && !strings.HasPrefix(err.Error(), "soulstones/k.toml:"):
				t.Errorf("%s %q: refused without file:line: %v", key, v, err)
			case err != nil:
				continue
			case refuse[v]:
				t.Errorf("%s %q: accepted, want it refused", key, v)
				continue
			}
			carries[name] = [2]string{key, v}
			all.WriteString(table + "\n")
			accepted[key]++
		}
		if accepted[key] == 0 {
			t.Errorf("no candidate of %s was accepted; the soulstone names or the table are wrong", key)
		}
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "soulstones"), 0o755); err != nil {
		t.Fatal(err)
	}
	lychd := "[pod]\nuserns = \"keep-id:uid=1000,gid=1000\"\npublish = [\"8080:80\", \"[::1]:8081:80/udp\", \"0.0.0.0:9090:9090/tcp\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "lychd.toml"), []byte(lychd), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "soulstones", "k.toml"), []byte(all.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := codex.Load(dir)
	if err != nil {
		t.Fatalf("loading every accepted candidate: %v", err)
	}
	m := c.Manifest()
	// A soulstone in a coven of its own and one exposed port give coven
	// and hold targets, TimeoutStartSec= and the rune's PublishPort=.
	m.Runes = append(m.Runes,
		model.Rune{Name: "solo", Kind: model.KindSoulstone, Image: "docker.io/library/busybox:1.36", Port: 8000, ExposePort: true, HostPort: 18000,
			StartTimeout: 15 * time.Minute, Source: model.Source{Kind: model.SourceCodex, Name: "soulstones/solo.toml", Line: 1}},
		model.Rune{Name: "solo-2", Kind: model.KindSoulstone, Image: "docker.io/library/busybox:1.36", Groups: []string{"pair"},
			Wants: []string{"network-online.target"}, Requires: []string{"lychd-soulstone-solo-3.service"},
			Source: model.Source{Kind: model.SourceCodex, Name: "soulstones/solo.toml", Line: 5}},
		model.Rune{Name: "solo-3", Kind: model.KindSoulstone, Image: "docker.io/library/busybox:1.36", Groups: []string{"pair"},
			Source: model.Source{Kind: model.SourceCodex, Name: "soulstones/solo.toml", Line: 9}},
		// The core writes its volumes as Specifier and its environment as
		// EnvSpecifier (they use %h): a '$' in them must still never reach
		// systemd's expansion.
		model.Rune{Name: "core-vol", Kind: model.KindCore, Image: "docker.io/library/busybox:1.36",
			Volumes:     []string{"%h/lib:/lib${PATH}x:ro,Z"},
			Environment: []model.EnvVar{{Name: "CORE_HOME", Value: "%h/x${PATH}"}},
			Source:      model.Source{Kind: model.SourceCore, Name: "core"}},
	)
	return &m, carries
}

// generatedServices runs the real Quadlet generator over out and returns
// the services by name; systemd-analyze must accept them without a word.
func generatedServices(t *testing.T, out *Output) map[string]*unitfile.Parsed {
	t.Helper()
	quadlet := testtool.Quadlet(t)
	testtool.SystemdAnalyze(t)
	d := writeOut(t, out)
	ctx := context.Background()
	gen := t.TempDir()
	if err := verify.QuadletGenerate(ctx, quadlet, d, gen); err != nil {
		t.Fatal(err)
	}
	if err := verify.SystemdVerify(ctx, quadlet, d); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(gen)
	if err != nil {
		t.Fatal(err)
	}
	services := map[string]*unitfile.Parsed{}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".service") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(gen, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		p, err := unitfile.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		services[e.Name()] = p
	}
	return services
}

// argv splits the one command line of key in a generated service into the
// words systemd passes, failing on a word systemd would expand.
func argv(t *testing.T, svc string, p *unitfile.Parsed, key string) []string {
	t.Helper()
	vals := p.Get("Service", key)
	if len(vals) != 1 {
		t.Fatalf("%s has %d %s= lines, want 1", svc, len(vals), key)
	}
	raw, err := unitfile.SplitWordsRaw(vals[0])
	if err != nil {
		t.Fatalf("%s: %s=: %v", svc, key, err)
	}
	return raw
}

// flagArgs returns what follows each occurrence of flag, as systemd passes
// it; a value systemd would expand fails the test.
func flagArgs(t *testing.T, svc string, words []string, flag string) []string {
	t.Helper()
	var out []string
	for i := 0; i+1 < len(words); i++ {
		if words[i] == flag {
			v, ok := unitfile.Unexpanded(words[i+1])
			if !ok {
				t.Errorf("%s: %s %s reaches systemd's expansion", svc, flag, words[i+1])
			}
			out = append(out, v)
			i++
		}
	}
	return out
}

// TestValuesThroughQuadlet writes a Codex holding every accepted candidate
// value, compiles it, runs the real Quadlet 5.4 generator and systemd-analyze
// over the result, and checks that each value reaches podman's command
// line or systemd exactly as written, with nothing expanded, split or
// unquoted. Values Quadlet or systemd would change must have been refused
// by the Codex with file:line (keysManifest).
func TestValuesThroughQuadlet(t *testing.T) {
	m, carries := keysManifest(t)
	out, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	services := generatedServices(t, out)
	const image = "docker.io/library/busybox:1.36"
	for name, kv := range carries {
		key, v := kv[0], kv[1]
		svc := "lychd-soulstone-" + name + ".service"
		p := services[svc]
		if p == nil {
			t.Errorf("%s (%s %q): Quadlet generated no service", svc, key, v)
			continue
		}
		words := argv(t, svc, p, "ExecStart")
		// The image is the first word after the options: the word after
		// the last option's value, i.e. the one before the Exec= words.
		var exec []string
		if key == "exec" {
			exec = []string{v}
		}
		if len(words) < len(exec)+1 {
			t.Fatalf("%s: ExecStart %q", svc, words)
		}
		gotImage, ok := unitfile.Unexpanded(words[len(words)-len(exec)-1])
		wantImage := image
		if key == "image" {
			wantImage = v
		}
		if !ok || gotImage != wantImage {
			t.Errorf("%s: image word %q, want %q", svc, words[len(words)-len(exec)-1], wantImage)
		}
		if key == "exec" {
			got, ok := unitfile.Unexpanded(words[len(words)-1])
			if !ok || got != v {
				t.Errorf("%s: exec word %q, want %q", svc, words[len(words)-1], v)
			}
		}
		check := func(what string, got, want []string) {
			t.Helper()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: %s = %q, want %q", svc, what, got, want)
			}
		}
		var wantDev, wantVol, wantEnv, wantSecret []string
		wantReqMounts := []string{"%t/containers"}
		switch key {
		case "devices":
			wantDev = []string{v}
		case "volumes":
			wantVol = []string{v}
			if strings.HasPrefix(v, "/") {
				wantReqMounts = append(wantReqMounts, strings.SplitN(v, ":", 2)[0])
			}
		case "environment":
			wantEnv = []string{"V=" + v}
		case "secrets":
			wantSecret = []string{model.ParseSecrets([]string{v})[0].String()}
		}
		var wantHealth, wantMem []string
		switch key {
		case "health_cmd":
			wantHealth = []string{healthCmdJSON([]string{v})}
		case "memory":
			wantMem = []string{v}
		}
		check("--health-cmd", flagArgs(t, svc, words, "--health-cmd"), wantHealth)
		check("--health-startup-cmd", flagArgs(t, svc, words, "--health-startup-cmd"), wantHealth)
		var mem []string
		for _, w := range words {
			if m, ok := strings.CutPrefix(w, "--memory="); ok {
				got, ok := unitfile.Unexpanded(m)
				if !ok {
					t.Errorf("%s: --memory=%s reaches systemd's expansion", svc, m)
				}
				mem = append(mem, got)
			}
		}
		check("--memory", mem, wantMem)
		check("--device", flagArgs(t, svc, words, "--device"), wantDev)
		check("-v", flagArgs(t, svc, words, "-v"), wantVol)
		check("--env", flagArgs(t, svc, words, "--env"), wantEnv)
		check("--secret", flagArgs(t, svc, words, "--secret"), wantSecret)
		check("--name", flagArgs(t, svc, words, "--name"), []string{"lychd-soulstone-" + name})
		// systemd reads RequiresMountsFor= as paths split on white space,
		// unquoted, specifiers expanded: the host path must read back.
		check("RequiresMountsFor", p.Get("Unit", "RequiresMountsFor"), wantReqMounts)
		if key == "description" {
			got := p.Get("Unit", "Description")
			if len(got) != 1 || unitfile.UnescapeLiteral(got[0]) != v || strings.Contains(strings.ReplaceAll(got[0], "%%", ""), "%") {
				t.Errorf("%s: Description= %q, want %q", svc, got, v)
			}
		}
		if key == "after" {
			found := false
			for _, line := range p.Get("Unit", "After") {
				for _, u := range strings.Fields(line) {
					found = found || u == v
				}
			}
			if !found {
				t.Errorf("%s: After= %q does not name %q", svc, p.Get("Unit", "After"), v)
			}
		}
		// No value added a directive: one ExecStart=, nothing to install.
		if n := len(p.Get("Service", "ExecStartPre")); n != 0 {
			t.Errorf("%s: %d ExecStartPre= lines", svc, n)
		}
		for _, sec := range p.Sections() {
			if sec.Name == "Install" {
				t.Errorf("%s has an [Install] section", svc)
			}
		}
	}

	pod := services["lychd-pod.service"]
	if pod == nil {
		t.Fatal("Quadlet generated no lychd-pod.service")
	}
	create := argv(t, "lychd-pod.service", pod, "ExecStartPre")
	if got := flagArgs(t, "lychd-pod.service", create, "--userns"); !reflect.DeepEqual(got, []string{"keep-id:uid=1000,gid=1000"}) {
		t.Errorf("pod --userns = %q", got)
	}
	if got := flagArgs(t, "lychd-pod.service", create, "--name"); !reflect.DeepEqual(got, []string{"lychd"}) {
		t.Errorf("pod --name = %q", got)
	}
	// The pod's /dev/shm is the largest size accepted.
	if got := flagArgs(t, "lychd-pod.service", create, "--shm-size"); !reflect.DeepEqual(got, []string{"1g"}) {
		t.Errorf("pod --shm-size = %q, want [1g]", got)
	}
	wantPublish := []string{"127.0.0.1:8080:80", "[::1]:8081:80/udp", "0.0.0.0:9090:9090/tcp", "127.0.0.1:18000:8000"}
	if got := flagArgs(t, "lychd-pod.service", create, "--publish"); !reflect.DeepEqual(got, wantPublish) {
		t.Errorf("pod --publish = %q, want %q", got, wantPublish)
	}
	core := argv(t, "lychd-core-vol.service", services["lychd-core-vol.service"], "ExecStart")
	var vols []string
	for i := 0; i+1 < len(core); i++ {
		if core[i] == "-v" {
			vols = append(vols, core[i+1])
		}
	}
	// %h is a specifier systemd expands; the '$' must be doubled.
	if want := []string{"%h/lib:/lib$${PATH}x:ro,Z"}; !reflect.DeepEqual(vols, want) {
		t.Errorf("core volume -v %q, want %q (systemd must not expand the $)", vols, want)
	}
	solo := services["lychd-soulstone-solo.service"]
	if got := solo.Get("Service", "TimeoutStartSec"); !reflect.DeepEqual(got, []string{"900"}) {
		t.Errorf("solo TimeoutStartSec = %q", got)
	}
}
