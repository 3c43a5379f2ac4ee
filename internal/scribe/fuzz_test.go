package scribe

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/unitfile"
)

// codexSeeds are FuzzCodexToUnits' seeds; TestFuzzSeedsThroughQuadlet
// also pushes them through the real Quadlet generator.
var codexSeeds = [][]byte{
	[]byte("[a]\nimage = \"ghcr.io/x/a:1\"\ngroups = [\"g\"]\n"),
	[]byte("[a]\nimage = \"x\"\nexec = [\"--p\", \"100%\", \"$HOME\", \"a b\", \"\\\"q\\\"\"]\nenvironment = { A = \"x y\", B = \"%h $$\" }\ndescription = \"d %n\"\n"),
	[]byte("[a]\nimage = \"x\"\nvolumes = [\"/a b:/c:ro\"]\ndevices = [\"nvidia.com/gpu=all\"]\nport = 1\nexpose_port = true\nhost_port = 2\n"),
	[]byte("[a]\nimage = \"x\"\ndescription = \"x\\n[Service]\\nExecStart=/bin/sh\"\n"),
	[]byte("[a]\nimage = \"x\"\nexec = [\";\", \"\"]\n"),
	[]byte("[a]\nimage = \"x\"\nstart_timeout_seconds = 900\n"),
	[]byte("[a]\nimage = \"x\"\ndevices = [\"/dev/dri /etc/shadow\", \"/dev/dri -/dev/kvm\", \"/dev/dri\\\"/x\\\"\", \"/dev/kfd:/dev/kfd:rw\"]\n"),
	[]byte("[a]\nimage = \"docker.io/x/y:1\"\ndevices = [\"/dev/dri/renderD128\", \"amd.com/gpu=0\"]\nvolumes = [\"/srv/a;b:/x'y$Z\\\\w\", \"models:/m\"]\n"),
	[]byte("[a]\nimage = \"evil.image\"\nvolumes = [\"x.volume:/d\", \"/srv/${PATH}x:/y\"]\n"),
}

// FuzzCodexToUnits drives the whole path from a Codex file to unit files:
// any input either fails with positioned Codex errors or flattening errors,
// or renders files in which every value reads back exactly as the Codex
// wrote it, in exactly the keys lychd meant to write (no value can add a
// line, a section or a directive).
func FuzzCodexToUnits(f *testing.F) {
	for _, s := range codexSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "soulstones"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "soulstones", "f.toml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		cx, err := codex.Load(dir)
		if err != nil {
			var errs codex.Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Load returned %T, want codex.Errors: %v", err, err)
			}
			for _, e := range errs {
				if e.File == "" {
					t.Fatalf("codex error without a file: %v", e)
				}
			}
			return
		}
		m := cx.Manifest()
		out, err := Compile(&m)
		if err != nil {
			// Only the manifest's own rules may refuse what the Codex
			// accepted: the unit writer never refuses a checked value.
			if strings.Contains(err.Error(), "cannot be written safely") {
				t.Fatalf("the Codex accepted a value the unit writer refuses: %v", err)
			}
			return
		}
		files := map[string][]byte{}
		for _, f := range append(append([]File(nil), out.Quadlet...), out.Systemd...) {
			files[f.Name] = f.Data
		}
		for _, r := range m.Runes {
			checkRoundTrip(t, &r, files[r.UnitBase()+".container"])
		}
	})
}

var allowedKeys = map[string]bool{
	"Unit/Description": true, "Unit/Wants": true, "Unit/Requires": true, "Unit/After": true, "Unit/PartOf": true, "Unit/Conflicts": true,
	"Container/ContainerName": true, "Container/Image": true, "Container/Pod": true, "Container/StartWithPod": true,
	"Container/AddDevice": true, "Container/Volume": true, "Container/Environment": true, "Container/Exec": true,
	"Container/Secret": true, "Container/User": true, "Container/Group": true,
	"Service/Restart": true, "Service/TimeoutStartSec": true, "Service/ExecStop": true, "Service/Type": true,
}

func checkRoundTrip(t *testing.T, r *model.Rune, data []byte) {
	t.Helper()
	if data == nil {
		t.Fatalf("no unit file for rune %q", r.Name)
	}
	p, err := unitfile.Parse(data)
	if err != nil {
		t.Fatalf("rendered file does not parse: %v\n%s", err, data)
	}
	for _, s := range p.Sections() {
		for _, e := range s.Entries {
			if !allowedKeys[s.Name+"/"+e.Key] {
				t.Fatalf("rendered file has unexpected key [%s] %s=%q:\n%s", s.Name, e.Key, e.Value, data)
			}
		}
	}
	one := func(section, key string) string {
		v := p.Get(section, key)
		if len(v) != 1 {
			t.Fatalf("[%s] %s appears %d times:\n%s", section, key, len(v), data)
		}
		return v[0]
	}
	// A soulstone's ExecStop= is lychd's constant, never a value.
	if stops := p.Get("Service", "ExecStop"); r.Kind == model.KindSoulstone && (len(stops) != 1 || stops[0] != stopFirst) ||
		r.Kind != model.KindSoulstone && len(stops) != 0 {
		t.Fatalf("ExecStop = %q for a %s:\n%s", stops, r.Kind, data)
	}
	// The host user and the one-shot type are lychd's constants.
	user, group := p.Get("Container", "User"), p.Get("Container", "Group")
	if r.HostUser != (len(user) == 1 && user[0] == "%U" && len(group) == 1 && group[0] == "%G") || !r.HostUser && len(user)+len(group) > 0 {
		t.Fatalf("User = %q, Group = %q with HostUser %v:\n%s", user, group, r.HostUser, data)
	}
	typ, restart := p.Get("Service", "Type"), p.Get("Service", "Restart")
	if oneShot := r.Kind == model.KindOneShot; oneShot != (len(typ) == 1 && typ[0] == "oneshot") || oneShot != (len(restart) == 0) ||
		!oneShot && (len(typ) != 0 || len(restart) != 1 || restart[0] != "always") {
		t.Fatalf("Type = %q, Restart = %q for a %s:\n%s", typ, restart, r.Kind, data)
	}
	if r.StartTimeout > 0 {
		if got, want := one("Service", "TimeoutStartSec"), strconv.FormatInt(int64(r.StartTimeout/time.Second), 10); got != want {
			t.Fatalf("TimeoutStartSec reads back as %q, want %q", got, want)
		}
	} else if len(p.Get("Service", "TimeoutStartSec")) != 0 {
		t.Fatalf("TimeoutStartSec written without a start timeout:\n%s", data)
	}
	if got := unitfile.UnescapeArg(one("Container", "Image")); got != r.Image {
		t.Fatalf("Image reads back as %q, want %q", got, r.Image)
	}
	desc := r.Description
	if desc == "" {
		desc = map[model.RuneKind]string{model.KindSoulstone: "LychD soulstone ", model.KindCore: "LychD ", model.KindOneShot: "LychD one-shot "}[r.Kind] + r.Name
	}
	if got := unitfile.UnescapeLiteral(one("Unit", "Description")); got != desc {
		t.Fatalf("Description reads back as %q, want %q", got, desc)
	}
	if len(r.Exec) > 0 {
		words, err := unitfile.SplitWords(one("Container", "Exec"))
		if err != nil || !reflect.DeepEqual(words, r.Exec) {
			t.Fatalf("Exec reads back as %q (%v), want %q", words, err, r.Exec)
		}
	}
	var env []model.EnvVar
	for _, raw := range p.Get("Container", "Environment") {
		n, v, err := unitfile.ParseEnvAssign(raw)
		if err != nil {
			t.Fatalf("Environment %q: %v", raw, err)
		}
		env = append(env, model.EnvVar{Name: n, Value: v})
	}
	if len(env) != len(r.Environment) || (len(env) > 0 && !reflect.DeepEqual(env, r.Environment)) {
		t.Fatalf("Environment reads back as %v, want %v", env, r.Environment)
	}
	var vols []string
	for _, raw := range p.Get("Container", "Volume") {
		vols = append(vols, unitfile.UnescapeArg(raw))
	}
	if strings.Join(vols, "\x00") != strings.Join(r.Volumes, "\x00") {
		t.Fatalf("Volume reads back as %q, want %q", vols, r.Volumes)
	}
	var devs []string
	for _, raw := range p.Get("Container", "AddDevice") {
		devs = append(devs, unitfile.UnescapeArg(raw))
	}
	if strings.Join(devs, "\x00") != strings.Join(r.Devices, "\x00") {
		t.Fatalf("AddDevice reads back as %q, want %q", devs, r.Devices)
	}
	var secrets, want []string
	for _, raw := range p.Get("Container", "Secret") {
		secrets = append(secrets, unitfile.UnescapeArg(raw))
	}
	for _, s := range r.Secrets {
		want = append(want, s.String())
	}
	if strings.Join(secrets, "\x00") != strings.Join(want, "\x00") {
		t.Fatalf("Secret reads back as %q, want %q", secrets, want)
	}
}
