package scribe

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/lychd/lychd/host/registry"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/unitfile"
	coreext "github.com/lychd/lychd/plugins/core"
	"github.com/lychd/lychd/sdk"
)

// regSeed is one input of FuzzRegistrationToUnits: a rune's fields, lists
// split on the unit separator \x1f and environment entries on '='.
type regSeed struct {
	name, image, description, devices, volumes, env, exec string
	// kind is the sdk.RuneKind (modulo 3); bit 4 runs the container as
	// the host user.
	kind uint8
}

// regSeeds are FuzzRegistrationToUnits' seeds; TestFuzzSeedsThroughQuadlet
// also pushes them through the real Quadlet generator.
var regSeeds = []regSeed{
	{"vision", "ghcr.io/x/vision:1", "Vision 100% $HOME", "nvidia.com/gpu=all\x1f/dev/dri", "/srv/models:/models:ro,Z\x1fmodels:/m", "A=x y\x1fB=%h $$", "--p\x1f100%\x1f$HOME\x1fa b\x1f\"q\"", 0},
	{"evil", "docker.io/library/busybox:1", "", "/dev/dri /etc/shadow", "", "", "", 0},
	{"evil2", "docker.io/library/busybox:1", "", "/dev/dri -/dev/kvm\x1f/dev/dri\"/x\"", "", "", "", 0},
	{"evil3", "evil.image", "", "", "x.volume:/data\x1f/srv/${PATH}x:/y", "", "", 0},
	{"pod", "docker.io/library/busybox:1", "", "", "", "", "", 1},
	{"proxy", "docker.io/library/caddy:2", "trail \\", "", "", "V=one\nExecStartPre=/bin/evil", ";\x1f", 1},
	{"prepare", "docker.io/library/busybox:1", "", "", "/srv/data:/data:rw,Z", "A=1", "migrate\x1f--to\x1flatest", 2 | 4},
	{"helper", "docker.io/library/busybox:1", "", "", "", "", "", 1 | 4},
	{"tricky", "docker.io/library/busybox:1", "[Service] #x", "/dev/a+b_c.d-e", "/srv/a;b:/x'y$Z\\w", "Q=\"'\\\x1fU=✓ ü", "x\x1f%%\x1f${X}\x1f\\n\x1f--env=A=1", 0},
}

// runeFromSeed builds the rune a fuzz input describes.
func runeFromSeed(s regSeed) sdk.Rune {
	split := func(v string) []string {
		if v == "" {
			return nil
		}
		return strings.Split(v, "\x1f")
	}
	r := sdk.Rune{Name: s.name, Image: s.image, Description: s.description,
		Devices: split(s.devices), Volumes: split(s.volumes), Exec: split(s.exec)}
	r.Kind = sdk.RuneKind(s.kind % 4 % 3)
	r.HostUser = s.kind&4 != 0
	for _, e := range split(s.env) {
		k, v, _ := strings.Cut(e, "=")
		if r.Environment == nil {
			r.Environment = map[string]string{}
		}
		r.Environment[k] = v
	}
	return r
}

// registered runs r through the registry as extension "fuzz" would, and
// returns the manifest it makes, or nil when the registry refuses it.
func registered(r sdk.Rune) *model.Manifest {
	c := registry.New(model.Source{Kind: model.SourceExtension, Name: "fuzz"})
	if err := c.AddRune(context.Background(), r); err != nil {
		return nil
	}
	runes, _, err := c.Result()
	if err != nil {
		return nil
	}
	return &model.Manifest{Runes: runes}
}

// compileAccepted compiles a manifest its source accepted: only the
// manifest's own rules may refuse it, never the unit writer.
func compileAccepted(t *testing.T, m *model.Manifest) *Output {
	t.Helper()
	out, err := Compile(m)
	if err != nil {
		if strings.Contains(err.Error(), "cannot be written safely") {
			t.Fatalf("a source accepted a value the unit writer refuses: %v", err)
		}
		return nil
	}
	return out
}

// FuzzRegistrationToUnits drives an extension's registration through the
// registry and the Scribe: a rune the registry accepts must render with
// every value reading back exactly.
func FuzzRegistrationToUnits(f *testing.F) {
	for _, s := range regSeeds {
		f.Add(s.name, s.image, s.description, s.devices, s.volumes, s.env, s.exec, s.kind)
	}
	f.Fuzz(func(t *testing.T, name, image, description, devices, volumes, env, exec string, kind uint8) {
		m := registered(runeFromSeed(regSeed{name, image, description, devices, volumes, env, exec, kind}))
		if m == nil {
			return
		}
		out := compileAccepted(t, m)
		if out == nil {
			return
		}
		checkOutput(t, m, out)
	})
}

// coreSeed is one input of FuzzCoreToUnits: the [core.vessel] settings a
// user writes, lists split on \x1f.
type coreSeed struct {
	image    string
	hostPort int
	devices  string
	sources  string
}

var coreSeeds = []coreSeed{
	{"", 0, "", ""},
	{"ghcr.io/hexanomicon/lychd:1.4", 8134, "nvidia.com/gpu=all", "%h/Documents/Books\x1f/srv/papers/"},
	{"", 0, "/dev/dri /etc/shadow", ""},
	{"", 0, "", "/srv/${PATH}x\x1f%h/My Books\x1f/srv/a\"b\x1f%h/a:b"},
	{"evil.image", 70000, "-nvidia.com/gpu=all", "%h\x1f%hx/a\x1f/"},
}

// coreConfig is the [core] table a fuzz input describes, as JSON.
func coreConfig(s coreSeed) []byte {
	vessel := map[string]any{"image": s.image, "host_port": s.hostPort}
	if s.devices != "" {
		vessel["devices"] = strings.Split(s.devices, "\x1f")
	}
	if s.sources != "" {
		vessel["library_sources"] = strings.Split(s.sources, "\x1f")
	}
	raw, _ := json.Marshal(map[string]any{"vessel": vessel})
	return raw
}

// coreManifest runs the core with config through the registry, as bind
// does, and returns the manifest, or nil when the core or the registry
// refuses the settings.
func coreManifest(config []byte) *model.Manifest {
	var cfg coreext.Config
	if err := json.Unmarshal(config, &cfg); err != nil {
		return nil
	}
	runes, err := coreext.Runes(cfg)
	if err != nil {
		return nil
	}
	c := registry.New(model.Source{Kind: model.SourceCore, Name: "core"})
	for _, r := range runes {
		if err := c.AddRune(context.Background(), r); err != nil {
			return nil
		}
	}
	m, _, err := c.Result()
	if err != nil {
		return nil
	}
	return &model.Manifest{Runes: m}
}

// FuzzCoreToUnits drives the [core] settings through the core, the
// registry and the Scribe: settings the core accepts must render with
// every value reading back exactly.
func FuzzCoreToUnits(f *testing.F) {
	for _, s := range coreSeeds {
		f.Add(s.image, s.hostPort, s.devices, s.sources)
	}
	f.Fuzz(func(t *testing.T, image string, hostPort int, devices, sources string) {
		m := coreManifest(coreConfig(coreSeed{image, hostPort, devices, sources}))
		if m == nil {
			return
		}
		out := compileAccepted(t, m)
		if out == nil {
			return
		}
		checkOutput(t, m, out)
	})
}

// checkOutput checks every rune's file with checkRoundTrip and the
// AddDevice= values as Quadlet splits them.
func checkOutput(t *testing.T, m *model.Manifest, out *Output) {
	t.Helper()
	files := map[string][]byte{}
	for _, f := range out.Quadlet {
		files[f.Name] = f.Data
	}
	for _, r := range m.Runes {
		data := files[r.ContainerFile()]
		checkRoundTrip(t, &r, data)
		p, err := unitfile.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		for i, raw := range p.Get("Container", "AddDevice") {
			if strings.ContainsAny(raw, " \t\"'\\") || strings.HasPrefix(raw, "-") {
				t.Fatalf("AddDevice=%q (device %q) is split, unquoted or made optional by Quadlet", raw, r.Devices[i])
			}
		}
	}
}

// corpus returns the inputs stored under testdata/fuzz/NAME ("go test fuzz
// v1" files), each as its lines of Go literals decoded.
func corpus(t *testing.T, name string) [][]any {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*"))
	var out [][]any
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		var vals []any
		for _, line := range lines[1:] {
			typ, lit, _ := strings.Cut(line, "(")
			lit = strings.TrimSuffix(lit, ")")
			switch typ {
			case "string", "[]byte":
				s, err := strconv.Unquote(lit)
				if err != nil {
					t.Fatalf("%s: %q: %v", file, line, err)
				}
				if typ == "string" {
					vals = append(vals, s)
				} else {
					vals = append(vals, []byte(s))
				}
			case "int":
				n, _ := strconv.Atoi(lit)
				vals = append(vals, n)
			case "bool":
				vals = append(vals, lit == "true")
			case "uint8", "byte":
				n, _ := strconv.ParseUint(lit, 0, 8)
				vals = append(vals, uint8(n))
			default:
				t.Fatalf("%s: cannot read %q", file, line)
			}
		}
		out = append(out, vals)
	}
	return out
}

// TestFuzzSeedsThroughQuadlet pushes every seed and stored corpus input of
// FuzzCodexToUnits, FuzzRegistrationToUnits and FuzzCoreToUnits that its
// source accepts through the real Quadlet 5.4 generator, and checks that
// each value reaches podman's command line exactly (the fuzzers compare
// with lychd's own parser only).
func TestFuzzSeedsThroughQuadlet(t *testing.T) {
	var manifests []*model.Manifest
	codexInputs := append([][]byte(nil), codexSeeds...)
	for _, in := range corpus(t, "FuzzCodexToUnits") {
		codexInputs = append(codexInputs, in[0].([]byte))
	}
	for _, data := range codexInputs {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "soulstones"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "soulstones", "f.toml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if c, err := codex.Load(dir); err == nil {
			m := c.Manifest()
			manifests = append(manifests, &m)
		}
	}
	regs := append([]regSeed(nil), regSeeds...)
	for _, in := range corpus(t, "FuzzRegistrationToUnits") {
		regs = append(regs, regSeed{in[0].(string), in[1].(string), in[2].(string), in[3].(string), in[4].(string), in[5].(string), in[6].(string), in[7].(uint8)})
	}
	for _, s := range regs {
		if m := registered(runeFromSeed(s)); m != nil {
			manifests = append(manifests, m)
		}
	}
	cores := append([]coreSeed(nil), coreSeeds...)
	for _, in := range corpus(t, "FuzzCoreToUnits") {
		cores = append(cores, coreSeed{in[0].(string), in[1].(int), in[2].(string), in[3].(string)})
	}
	for _, s := range cores {
		if m := coreManifest(coreConfig(s)); m != nil {
			manifests = append(manifests, m)
		}
	}
	if len(manifests) < 8 {
		t.Fatalf("only %d accepted seeds", len(manifests))
	}
	for i, m := range manifests {
		out := compileAccepted(t, m)
		if out == nil {
			continue
		}
		files := map[string]string{}
		for _, f := range out.Quadlet {
			files[f.Name] = string(f.Data)
		}
		// Quadlet warns about short image names, which the Codex allows:
		// only its exit status counts here.
		units, log, err := testtool.QuadletDryRun(t, files)
		if err != nil {
			t.Fatalf("seed %d: quadlet: %v\n%s", i, err, log)
		}
		for _, r := range m.Runes {
			p, err := unitfile.Parse([]byte(units[r.ServiceName()]))
			if err != nil {
				t.Fatal(err)
			}
			checkService(t, &r, p)
		}
	}
}

// checkService checks that every value of r reaches podman's command line
// in the service Quadlet generated exactly, with nothing left for systemd
// to expand (the core's %h specifier aside).
func checkService(t *testing.T, r *model.Rune, p *unitfile.Parsed) {
	t.Helper()
	svc := r.ServiceName()
	words := argv(t, svc, p, "ExecStart")
	value := func(w string) string {
		v, ok := unitfile.Unexpanded(w)
		if !ok {
			t.Errorf("%s: %q reaches systemd's expansion", svc, w)
		}
		return v
	}
	values := func(flag string) []string {
		var out []string
		for i := 0; i+1 < len(words); i++ {
			if words[i] == flag {
				out = append(out, words[i+1])
				i++
			}
		}
		return out
	}
	var devs, vols, env []string
	for _, w := range values("--device") {
		devs = append(devs, value(w))
	}
	for _, w := range values("-v") {
		if r.Source.Kind == model.SourceCore {
			// The core's volumes keep %h for systemd; '$' must be doubled.
			w = strings.ReplaceAll(w, "$$", "$")
		} else {
			w = value(w)
		}
		vols = append(vols, w)
	}
	for _, w := range values("--env") {
		if r.Source.Kind == model.SourceCore {
			// So does the core's environment (the Vessel's HOME=%h).
			w = strings.ReplaceAll(w, "$$", "$")
		} else {
			w = value(w)
		}
		env = append(env, w)
	}
	var wantEnv []string
	for _, e := range r.Environment {
		wantEnv = append(wantEnv, e.Name+"="+e.Value)
	}
	sort.Strings(wantEnv)
	for _, c := range []struct {
		what      string
		got, want []string
	}{{"--device", devs, r.Devices}, {"-v", vols, r.Volumes}, {"--env", env, wantEnv}} {
		if len(c.got) != len(c.want) || (len(c.want) > 0 && !reflect.DeepEqual(c.got, c.want)) {
			t.Errorf("%s: %s = %q, want %q", svc, c.what, c.got, c.want)
		}
	}
	n := len(words) - len(r.Exec)
	if got := value(words[n-1]); got != r.Image {
		t.Errorf("%s: image %q, want %q", svc, got, r.Image)
	}
	for i, w := range words[n:] {
		if got := value(w); got != r.Exec[i] {
			t.Errorf("%s: exec word %d %q, want %q", svc, i, got, r.Exec[i])
		}
	}
	if got := values("--name"); len(got) != 1 || value(got[0]) != r.UnitBase() {
		t.Errorf("%s: --name %q", svc, got)
	}
}
