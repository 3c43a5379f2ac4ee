package bind

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmd/factory"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/engine"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/unitfile"
	"github.com/lychd/lychd/internal/watchers"
)

// watchersToml is the [core.watchers] example of docs/engines.md.
func watchersToml(t *testing.T) string {
	t.Helper()
	md, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "engines.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(md), "## The Watchers\n")
	if !ok {
		t.Fatal("docs/engines.md has no Watchers section")
	}
	_, block, ok := strings.Cut(section, "```toml\n")
	if !ok {
		t.Fatal("the Watchers section of docs/engines.md has no TOML example")
	}
	block, _, _ = strings.Cut(block, "```")
	if !strings.Contains(block, "[core.watchers]") {
		t.Fatalf("the Watchers example is not [core.watchers]:\n%s", block)
	}
	return block
}

// withRealCore makes e bind with lychd's real core, as lychd bind does.
func withRealCore(t *testing.T, e *env) {
	t.Helper()
	p, err := e.opts.Paths()
	if err != nil {
		t.Fatal(err)
	}
	f := &cmdutil.Factory{IO: e.opts.IO, Getenv: func(string) string { return "" }}
	e.opts.Assimilate = func(ctx context.Context, cx *codex.Codex) (*host.Result, error) {
		return host.Assimilate(ctx, factory.Options(f, p, cx))
	}
}

// hostPath resolves a core volume's source on the test's HOME.
func hostPath(home, src string) string {
	return filepath.Join(home, strings.TrimPrefix(src, "%h/"))
}

// TestBindWithWatchers binds the Watchers example of docs/engines.md with
// the real core beside two soulstones: the generation holds a
// prometheus.yml that promtool accepts, scraping both soulstones and the
// Vessel, at the path the Harvester's unit mounts; Grafana's files are in
// the Crypt directory its unit mounts; the real Quadlet generator turns
// both units into podman commands publishing on the pod; a dashboard the
// user edits survives the next bind.
func TestBindWithWatchers(t *testing.T) {
	e := newEnv(t, map[string]string{
		"lychd.toml":             watchersToml(t),
		"soulstones/reason.toml": "[qwen]\nimage = \"docker.io/vllm/vllm-openai:latest\"\n\n[tiny]\nimage = \"ghcr.io/ggml-org/llama.cpp:server\"\nport = 8101\n",
	})
	withRealCore(t, e)
	if err := e.run(t); err != nil {
		t.Fatalf("bind: %v\n%s", err, e.err)
	}
	current := filepath.Join(e.home, ".local", "share", "lychd", "bindings", "current")
	units := map[string]string{}
	ents, err := os.ReadDir(filepath.Join(current, "quadlet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range ents {
		data, err := os.ReadFile(filepath.Join(current, "quadlet", ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		units[ent.Name()] = string(data)
	}
	volumes := func(unit string) []string {
		f, err := unitfile.Parse([]byte(units[unit]))
		if err != nil {
			t.Fatalf("%s: %v", unit, err)
		}
		return f.Get("Container", "Volume")
	}

	// The Harvester mounts the generation's prometheus.yml.
	hv := volumes("lychd-harvester.container")
	if len(hv) != 2 {
		t.Fatalf("harvester volumes %q", hv)
	}
	src, dst, _ := strings.Cut(hv[0], ":")
	if !strings.HasPrefix(dst, watchers.HarvesterConfigFile+":") {
		t.Errorf("harvester mounts %q", hv[0])
	}
	promYml := hostPath(e.home, src)
	if promYml != filepath.Join(current, "config", watchers.GenerationConfigFile) {
		t.Errorf("the Harvester mounts %s, the bind wrote %s", promYml, filepath.Join(current, "config", watchers.GenerationConfigFile))
	}
	cfg, err := os.ReadFile(promYml)
	if err != nil {
		t.Fatalf("the file the Harvester mounts: %v", err)
	}
	for _, want := range []string{"job_name: soulstones:8081/metrics", "targets: ['127.0.0.1:8081']", "lychd_soulstone: qwen", "targets: ['127.0.0.1:8101']", "lychd_soulstone: tiny", "job_name: vessel", "targets: ['127.0.0.1:8000']"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("prometheus.yml lacks %q:\n%s", want, cfg)
		}
	}
	if out, err := exec.Command(testtool.Promtool(t), "check", "config", promYml).CombinedOutput(); err != nil {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}

	// Grafana mounts the Crypt directory holding its files.
	gv := volumes("lychd-grafana.container")
	src, _, _ = strings.Cut(gv[0], ":")
	gdir := hostPath(e.home, src)
	for _, name := range []string{"provisioning/datasources/lychd.yaml", "provisioning/dashboards/lychd.yaml", "dashboards/lychd-vessel.json", "dashboards/soulstone-vllm.json"} {
		if _, err := os.Stat(filepath.Join(gdir, name)); err != nil {
			t.Errorf("grafana file: %v", err)
		}
	}
	if !strings.Contains(e.out.String(), "Wrote the Watchers' files in the Crypt:\n  write  ~/.local/share/lychd/watchers/grafana/dashboards/lychd-vessel.json\n") {
		t.Errorf("bind output:\n%s", e.out)
	}

	// The real Quadlet generator: both containers in the pod, the pod
	// publishing Grafana and the Harvester on 127.0.0.1.
	gen, log, err := testtool.QuadletDryRun(t, units)
	if err != nil {
		t.Fatalf("quadlet: %v\n%s", err, log)
	}
	for _, svc := range []string{"lychd-harvester.service", "lychd-grafana.service"} {
		argv := execStart(t, gen[svc])
		if got := flagValue(argv, "--pod-id-file"); got != "%t/lychd-pod.pod-id" {
			t.Errorf("%s is not in lychd's pod: %q", svc, argv)
		}
	}
	argv := execStart(t, gen["lychd-harvester.service"])
	if got := unitfile.FlagValues(argv, "-v"); !reflect.DeepEqual(got, hv) {
		t.Errorf("harvester -v %q, want %q", got, hv)
	}
	if got, want := argv[len(argv)-4:], []string{watchers.HarvesterImage, "--config.file=" + watchers.HarvesterConfigFile, "--storage.tsdb.path=/prometheus", "--web.listen-address=0.0.0.0:9091"}; !reflect.DeepEqual(got, want) {
		t.Errorf("harvester image and arguments %q, want %q", got, want)
	}
	var create []string
	p, err := unitfile.Parse([]byte(gen["lychd-pod.service"]))
	if err != nil {
		t.Fatal(err)
	}
	for _, pre := range p.Get("Service", "ExecStartPre") {
		if strings.Contains(pre, "pod create") {
			if create, err = unitfile.SplitWords(pre); err != nil {
				t.Fatal(err)
			}
		}
	}
	published := unitfile.FlagValues(create, "--publish")
	for _, want := range []string{"127.0.0.1:3000:3000", "127.0.0.1:9091:9091"} {
		if !slices.Contains(published, want) {
			t.Errorf("pod publishes %q, want %s among them", published, want)
		}
	}

	// A dashboard the user edits is kept.
	edited := filepath.Join(gdir, "dashboards", "soulstone-vllm.json")
	if err := os.WriteFile(edited, []byte("{\"title\": \"mine\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := e.run(t); err != nil {
		t.Fatalf("second bind: %v", err)
	}
	if data, _ := os.ReadFile(edited); string(data) != "{\"title\": \"mine\"}\n" {
		t.Errorf("the edited dashboard was replaced: %s", data)
	}
	want := "lychd: warning: ~/.local/share/lychd/watchers/grafana/dashboards/soulstone-vllm.json: you changed it since lychd wrote it; lychd keeps your version. Delete the file and run lychd bind to get lychd's again\n"
	if !strings.Contains(e.err.String(), want) {
		t.Errorf("second bind stderr:\n%s\nwant %s", e.err, want)
	}
	if strings.Contains(e.out.String(), "The Harvester's configuration changed") {
		t.Errorf("second bind changed nothing but says:\n%s", e.out)
	}

	// A new soulstone changes what the Harvester scrapes: bind says how
	// to make a running Harvester read it.
	e.writeCodex(t, map[string]string{
		"lychd.toml":             watchersToml(t),
		"soulstones/reason.toml": "[qwen]\nimage = \"docker.io/vllm/vllm-openai:latest\"\n\n[tiny]\nimage = \"ghcr.io/ggml-org/llama.cpp:server\"\nport = 8102\n",
	})
	if err := e.run(t); err != nil {
		t.Fatalf("third bind: %v", err)
	}
	if !strings.Contains(e.out.String(), "  update ~/.local/share/lychd/bindings/current/config/prometheus.yml\n") ||
		!strings.Contains(e.out.String(), "The Harvester's configuration changed; a running Harvester reads it when it restarts: systemctl --user restart lychd-harvester.service\n") {
		t.Errorf("third bind output:\n%s", e.out)
	}
	if cfg, _ := os.ReadFile(promYml); !strings.Contains(string(cfg), "127.0.0.1:8102") {
		t.Errorf("prometheus.yml after the third bind:\n%s", cfg)
	}
}

// TestBindWithoutWatchers: with [core.watchers] off, no Watchers unit, no
// config directory and nothing in the Crypt.
func TestBindWithoutWatchers(t *testing.T) {
	e := newEnv(t, map[string]string{"soulstones/a.toml": "[a]\nimage = \"docker.io/library/alpine:3.20\"\n"})
	withRealCore(t, e)
	if err := e.run(t); err != nil {
		t.Fatalf("bind: %v\n%s", err, e.err)
	}
	data := filepath.Join(e.home, ".local", "share", "lychd")
	for _, p := range []string{"bindings/current/quadlet/lychd-harvester.container", "bindings/current/config", "watchers"} {
		if _, err := os.Lstat(filepath.Join(data, p)); !os.IsNotExist(err) {
			t.Errorf("%s: %v", p, err)
		}
	}
}

func flagValue(argv []string, flag string) string {
	if v := unitfile.FlagValues(argv, flag); len(v) == 1 {
		return v[0]
	}
	return ""
}

// TestWatchersPortsAreTaken: with the Watchers on, a soulstone on
// Grafana's or the Harvester's port inside the pod is refused, as any
// port an always-on rune holds.
func TestWatchersPortsAreTaken(t *testing.T) {
	e := newEnv(t, map[string]string{
		"lychd.toml":         "[core.watchers]\nenabled = true\n",
		"soulstones/ui.toml": "[ui]\nimage = \"docker.io/library/alpine:3.20\"\nport = 3000\n",
	})
	withRealCore(t, e)
	want := "bind: nothing was written:\nport 3000 is declared by rune \"grafana\" (core) and rune \"ui\" (soulstones/ui.toml:1), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied"
	if err := e.run(t); err == nil || err.Error() != want {
		t.Fatalf("bind: %v\nwant: %s", err, want)
	}
}

// TestWatchersDryRun: --dry-run lists the Grafana files it would write
// and writes none.
func TestWatchersDryRun(t *testing.T) {
	e := newEnv(t, map[string]string{"lychd.toml": "[core.watchers]\nenabled = true\n"})
	withRealCore(t, e)
	e.opts.DryRun = true
	if err := e.run(t); err != nil {
		t.Fatalf("bind --dry-run: %v\n%s", err, e.err)
	}
	out := e.out.String()
	if !strings.Contains(out, "Would write the Watchers' files in the Crypt:\n  write  ~/.local/share/lychd/watchers/grafana/dashboards/lychd-vessel.json\n") ||
		!strings.Contains(out, "  create ~/.local/share/lychd/bindings/current/config/prometheus.yml\n") ||
		!strings.HasSuffix(out, "Dry run: nothing was written.\n") {
		t.Errorf("bind --dry-run output:\n%s", out)
	}
	if _, err := os.Lstat(filepath.Join(e.home, ".local", "share", "lychd")); !os.IsNotExist(err) {
		t.Errorf("bind --dry-run wrote into the Crypt: %v", err)
	}
}

// TestWatchersWithAnotherDataHome: the core's containers mount their files
// from ~/.local/share/lychd; bind warns when lychd's data directory is
// elsewhere.
func TestWatchersWithAnotherDataHome(t *testing.T) {
	e := newEnv(t, map[string]string{"lychd.toml": "[core.watchers]\nenabled = true\n"})
	e.opts.Paths = func() (paths.Paths, error) {
		return paths.FromEnv(func(k string) string {
			return map[string]string{"HOME": e.home, "XDG_DATA_HOME": filepath.Join(e.home, "data")}[k]
		})
	}
	withRealCore(t, e)
	if err := e.run(t); err != nil {
		t.Fatalf("bind: %v\n%s", err, e.err)
	}
	want := "lychd: warning: the Watchers' containers mount their files from ~/.local/share/lychd, as every core rune does, but lychd's data directory is ~/data/lychd ($XDG_DATA_HOME): the Harvester will not find its configuration. Make ~/.local/share/lychd a link to ~/data/lychd, or unset XDG_DATA_HOME\n"
	if !strings.Contains(e.err.String(), want) {
		t.Errorf("stderr:\n%s\nwant %s", e.err, want)
	}
}

// TestWatchersConfigErrors: bind's words for a wrong [core.watchers].
func TestWatchersConfigErrors(t *testing.T) {
	const pre = "bind: nothing was written:\nassimilation failed: extension \"core\": "
	for _, tc := range []struct{ toml, want string }{
		{"[core.watchers]\nenable = true\n",
			`lychd.toml:2: core.watchers.enable: the extension has no such key; did you mean "enabled"? (its keys here: "enabled", "grafana_host_port", "grafana_image", "harvester_host_port", "harvester_image", "publish")`},
		{"[core.watchers]\nenabled = \"yes\"\n",
			`lychd.toml:2: core.watchers.enabled: got string, the extension expects bool`},
		{"[core.watchers]\npublish = true\n",
			`failed while assimilating: the [core.watchers] table of lychd.toml: the Watchers are off, so their settings do nothing; add enabled = true to turn them on, or remove the table`},
		{"[core.watchers]\nenabled = true\ngrafana_host_port = 99999\n",
			`failed while assimilating: the [core.watchers] table of lychd.toml: grafana_host_port: port 99999 is out of range; use a number from 1 to 65535`},
	} {
		e := newEnv(t, map[string]string{"lychd.toml": tc.toml})
		withRealCore(t, e)
		if err := e.run(t); err == nil || err.Error() != pre+tc.want {
			t.Errorf("%s\n got: %v\nwant: %s", tc.toml, err, pre+tc.want)
		}
	}
}

// TestWatchersScrapeEnginesWhereTheirPresetsSay: a soulstone made from an
// engine preset is scraped at its preset's metrics path and told apart by
// its preset's identity label; one whose engine exports no metrics is not
// scraped; a plain soulstone is scraped at /metrics on 8081.
func TestWatchersScrapeEnginesWhereTheirPresetsSay(t *testing.T) {
	reg, err := engine.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	engines := map[string]engine.Resolved{}
	for _, s := range []engine.Soulstone{
		{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct"},
		{Name: "voice", Engine: "kokoro"},
	} {
		if engines[s.Name], err = reg.Resolve(s); err != nil {
			t.Fatal(err)
		}
	}
	m := &model.Manifest{Runes: []model.Rune{
		{Name: "harvester", Kind: model.KindCore, Source: model.Source{Kind: model.SourceCore, Name: "core"}},
		{Name: "qwen", Kind: model.KindSoulstone, Port: 8081},
		{Name: "voice", Kind: model.KindSoulstone, Port: 8081},
		{Name: "plain", Kind: model.KindSoulstone},
	}}
	w, err := watchersOf(m, engines)
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(w.config[0].Data)
	for _, want := range []string{"regex: vllm:.*;qwen", "replacement: plain", "lychd_engine"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("prometheus.yml lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, "voice") {
		t.Errorf("prometheus.yml scrapes Kokoro, which exports no metrics:\n%s", cfg)
	}
	if len(w.warnings) != 0 {
		t.Errorf("warnings %q", w.warnings)
	}
}

// execStart is the podman command line of a generated service.
func execStart(t *testing.T, unit string) []string {
	t.Helper()
	argv, err := unitfile.ExecStart([]byte(unit))
	if err != nil {
		t.Fatalf("%v:\n%s", err, unit)
	}
	return argv
}
