package watchers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
	"gopkg.in/yaml.v3"

	"github.com/lychd/lychd/internal/engine"
	goldenfile "github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/testtool"
)

// scenarios are the configurations the golden and promtool tests cover.
var scenarios = map[string]Config{
	// No soulstone with metrics: only the Harvester and Grafana.
	"empty": {},
	// One soulstone per port: target labels name them.
	"separate-ports": {Targets: []Target{
		{Soulstone: "qwen", Engine: "vllm", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:", IdentityLabel: "model_name", Identity: "qwen"},
		{Soulstone: "tiny", Engine: "llama.cpp", Port: 8082, MetricsPath: "/metrics", MetricPrefix: "llamacpp:"},
	}},
	// The Sepulcher standard: soulstones of rival covens share 8081.
	"shared-8081": {Targets: []Target{
		{Soulstone: "qwen", Engine: "vllm", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:", IdentityLabel: "model_name", Identity: "qwen"},
		{Soulstone: "coder", Engine: "vllm", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:", IdentityLabel: "model_name", Identity: "coder"},
		{Soulstone: "tiny", Engine: "llama.cpp", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "llamacpp:"},
		{Soulstone: "big", Engine: "sglang", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "sglang:", IdentityLabel: "model_name", Identity: "big"},
	}},
	// Two llama.cpp soulstones on one port cannot be told apart: a warning.
	"ambiguous": {ScrapeInterval: 30 * time.Second, GrafanaAddress: "-", Targets: []Target{
		{Soulstone: "tiny", Engine: "llama.cpp", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "llamacpp:"},
		{Soulstone: "small", Engine: "llama.cpp", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "llamacpp:"},
		{Soulstone: "odd", Engine: "vllm", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:"},
	}, Vessel: &VesselTarget{Port: 8000, MetricsPath: "/metrics"}},
	// Soulstones without an engine preset: named by target labels on
	// their own port; on a shared port the engine's rules rename what the
	// engine exports, and the two plain ones cannot be told apart.
	"without-engines": {Targets: []Target{
		{Soulstone: "solo", Port: 8101, MetricsPath: "/metrics"},
		{Soulstone: "plain", Port: 8081, MetricsPath: "/metrics"},
		{Soulstone: "other", Port: 8081, MetricsPath: "/metrics"},
		{Soulstone: "qwen", Engine: "vllm", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:", IdentityLabel: "model_name", Identity: "qwen"},
	}, Vessel: &VesselTarget{Port: 8000, MetricsPath: "/metrics"}},
}

func scenarioNames() []string {
	var names []string
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// golden compares got with testdata/golden/name (internal/golden).
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", "golden", filepath.FromSlash(name)), got)
}

func TestGolden(t *testing.T) {
	for _, name := range scenarioNames() {
		t.Run(name, func(t *testing.T) {
			out, err := Generate(scenarios[name])
			if err != nil {
				t.Fatal(err)
			}
			again, err := Generate(scenarios[name])
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, again) {
				t.Fatal("Generate is not deterministic")
			}
			for _, f := range out.Files {
				if f.Name == PrometheusFile || name == "shared-8081" {
					golden(t, name+"/"+f.Name, f.Data)
				}
			}
			golden(t, name+"/warnings.txt", []byte(strings.Join(out.Warnings, "\n")+"\n"))
		})
	}
}

func TestFiles(t *testing.T) {
	out, err := Generate(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range out.Files {
		names = append(names, f.Name)
		wantEditable := strings.HasPrefix(f.Name, grafanaDashboardsPrefix)
		if f.UserEditable != wantEditable {
			t.Errorf("%s: UserEditable = %v, want %v", f.Name, f.UserEditable, wantEditable)
		}
	}
	want := []string{
		"grafana/dashboards/lychd-vessel.json",
		"grafana/dashboards/soulstone-kokoro.json",
		"grafana/dashboards/soulstone-llama.cpp.json",
		"grafana/dashboards/soulstone-sglang.json",
		"grafana/dashboards/soulstone-vllm.json",
		"grafana/provisioning/dashboards/lychd.yaml",
		"grafana/provisioning/datasources/lychd.yaml",
		"prometheus/prometheus.yml",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("files = %q, want %q", names, want)
	}
}

func TestWarnings(t *testing.T) {
	out, err := Generate(scenarios["ambiguous"])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`soulstones small, tiny share 127.0.0.1:8081/metrics and their engine's metrics (llamacpp:*) carry no label naming the soulstone; their series are labelled lychd_soulstone="small|tiny". Give each its own port to tell them apart`}
	if !reflect.DeepEqual(out.Warnings, want) {
		t.Errorf("warnings = %q, want %q", out.Warnings, want)
	}
	for _, name := range []string{"empty", "separate-ports", "shared-8081"} {
		out, err := Generate(scenarios[name])
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Warnings) != 0 {
			t.Errorf("%s: unexpected warnings %q", name, out.Warnings)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	ok := Target{Soulstone: "qwen", Engine: "vllm", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:"}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad name", Config{Targets: []Target{{Soulstone: "Qwen", Engine: "vllm", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:"}}},
			`watchers: target 0 (soulstone "Qwen"): name "Qwen" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
		{"twice", Config{Targets: []Target{ok, ok}},
			`watchers: target 1 (soulstone "qwen"): listed twice; give each soulstone one target`},
		{"prefix without engine", Config{Targets: []Target{{Soulstone: "qwen", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:"}}},
			`watchers: target 0 (soulstone "qwen"): metric prefix "vllm:" without an engine; name the preset the soulstone uses`},
		{"port", Config{Targets: []Target{{Soulstone: "qwen", Engine: "vllm", Port: 0, MetricsPath: "/metrics", MetricPrefix: "vllm:"}}},
			`watchers: target 0 (soulstone "qwen"): port 0 is out of range; use a number from 1 to 65535`},
		{"path", Config{Targets: []Target{{Soulstone: "qwen", Engine: "vllm", Port: 8081, MetricsPath: "metrics", MetricPrefix: "vllm:"}}},
			`watchers: target 0 (soulstone "qwen"): metrics path "metrics" is not an HTTP path such as "/metrics"`},
		{"prefix", Config{Targets: []Target{{Soulstone: "qwen", Engine: "vllm", Port: 8081, MetricsPath: "/metrics"}}},
			`watchers: target 0 (soulstone "qwen"): no metric prefix; give the start of the engine's metric names, e.g. "vllm:"`},
		{"identity", Config{Targets: []Target{{Soulstone: "qwen", Engine: "vllm", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:", IdentityLabel: "model_name"}}},
			`watchers: target 0 (soulstone "qwen"): identity label "model_name" and identity "" must be set together`},
		{"interval", Config{ScrapeInterval: 1500 * time.Millisecond},
			`watchers: scrape interval 1.5s is not a whole number of seconds`},
		{"vessel", Config{Vessel: &VesselTarget{Port: 8000, MetricsPath: "metrics"}},
			`watchers: vessel: metrics path "metrics" is not an HTTP path such as "/metrics"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(tc.cfg)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v\nwant    %s", err, tc.want)
			}
		})
	}
}

// TestPromtoolCheckConfig runs the real promtool on every scenario's
// prometheus.yml.
func TestPromtoolCheckConfig(t *testing.T) {
	promtool := testtool.Promtool(t)
	for _, name := range scenarioNames() {
		t.Run(name, func(t *testing.T) {
			data, _, err := Prometheus(scenarios[name])
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "prometheus.yml")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(promtool, "check", "config", path).CombinedOutput()
			if err != nil {
				t.Fatalf("promtool check config: %v\n%s\n%s", err, out, data)
			}
		})
	}
	// And promtool refuses what it should: the check is not a formality.
	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, []byte("scrape_configs:\n  - job_name: x\n    metric_relabel_configs:\n      - regex: '('\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", bad).CombinedOutput(); err == nil {
		t.Errorf("promtool accepted an invalid regex:\n%s", out)
	}
}

// dashboardFiles returns the generated dashboards, decoded, by key.
func dashboardFiles(t *testing.T) map[string]map[string]any {
	t.Helper()
	out, err := Generate(Config{})
	if err != nil {
		t.Fatal(err)
	}
	specs, err := DashboardSpecs()
	if err != nil {
		t.Fatal(err)
	}
	byFile := map[string]string{}
	for key := range specs {
		byFile[grafanaDashboardsPrefix+DashboardFile(key)] = key
	}
	dashboards := map[string]map[string]any{}
	for _, f := range out.Files {
		key, ok := byFile[f.Name]
		if !ok {
			continue
		}
		var d map[string]any
		dec := json.NewDecoder(bytes.NewReader(f.Data))
		dec.UseNumber()
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("%s is not JSON: %v", f.Name, err)
		}
		dashboards[key] = d
	}
	if len(dashboards) != len(specs) {
		t.Fatalf("%d dashboards for %d specs", len(dashboards), len(specs))
	}
	return dashboards
}

type query struct {
	panel, expr string
}

// queries returns every PromQL expression of a decoded dashboard, checking
// on the way that every panel with queries, every query and every variable
// use the provisioned datasource.
func queries(t *testing.T, key string, d map[string]any) []query {
	t.Helper()
	checkDS := func(where string, v any) {
		ds, ok := v.(map[string]any)
		if !ok || ds["uid"] != DatasourceUID || ds["type"] != "prometheus" {
			t.Errorf("%s: %s: datasource = %v, want {type: prometheus, uid: %s}", key, where, v, DatasourceUID)
		}
	}
	var out []query
	panels, _ := d["panels"].([]any)
	if len(panels) == 0 {
		t.Fatalf("%s: no panels", key)
	}
	for _, p := range panels {
		p := p.(map[string]any)
		title := fmt.Sprint(p["title"])
		targets, _ := p["targets"].([]any)
		if p["type"] == "text" {
			if len(targets) != 0 {
				t.Errorf("%s: text panel %q has targets", key, title)
			}
			continue
		}
		if len(targets) == 0 {
			t.Errorf("%s: panel %q has no queries", key, title)
		}
		checkDS("panel "+title, p["datasource"])
		for _, tg := range targets {
			tg := tg.(map[string]any)
			checkDS("panel "+title+" query", tg["datasource"])
			out = append(out, query{panel: title, expr: fmt.Sprint(tg["expr"])})
		}
	}
	templ, _ := d["templating"].(map[string]any)
	vars, _ := templ["list"].([]any)
	for _, v := range vars {
		v := v.(map[string]any)
		checkDS("variable "+fmt.Sprint(v["name"]), v["datasource"])
		q := v["query"].(map[string]any)
		out = append(out, query{panel: "variable " + fmt.Sprint(v["name"]), expr: strings.TrimSuffix(strings.TrimPrefix(fmt.Sprint(q["query"]), "label_values("), ", "+LabelSoulstone+")")})
	}
	return out
}

func TestDashboardDatasources(t *testing.T) {
	for key, d := range dashboardFiles(t) {
		queries(t, key, d) // checks every datasource reference
		if d["uid"] != dashboardUID(key) {
			t.Errorf("%s: uid = %v", key, d["uid"])
		}
	}
}

type knownMetric struct {
	Name string `toml:"name"`
	Type string `toml:"type"`
}

type knownEngine struct {
	Sources []string      `toml:"sources"`
	Metrics []knownMetric `toml:"metrics"`
}

func loadKnown(t *testing.T) map[string]knownEngine {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "known_metrics.toml"))
	if err != nil {
		t.Fatal(err)
	}
	var known map[string]knownEngine
	if err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&known); err != nil {
		t.Fatalf("known_metrics.toml: %v", err)
	}
	for key, k := range known {
		if len(k.Sources) == 0 {
			t.Errorf("known_metrics.toml: [%s] cites no source", key)
		}
	}
	return known
}

// allowed reports whether name is a metric of k: listed, or a histogram's
// _bucket, _sum or _count series.
func allowed(k knownEngine, name string) bool {
	for _, m := range k.Metrics {
		if m.Name == name {
			return m.Type != "histogram"
		}
		if m.Type == "histogram" {
			for _, sfx := range []string{"_bucket", "_sum", "_count"} {
				if name == m.Name+sfx {
					return true
				}
			}
		}
	}
	return false
}

func TestDashboardMetricNames(t *testing.T) {
	known := loadKnown(t)
	specs, err := DashboardSpecs()
	if err != nil {
		t.Fatal(err)
	}
	for key, d := range dashboardFiles(t) {
		k, ok := known[key]
		if !ok {
			t.Errorf("dashboard %s has no entry in known_metrics.toml", key)
			continue
		}
		if key == VesselDashboard {
			// The Vessel's "who answers" panel uses every engine's liveness.
			for e, s := range specs {
				if e != VesselDashboard && s.Liveness != "" {
					k.Metrics = append(k.Metrics, knownMetric{Name: s.Liveness, Type: "gauge"})
				}
			}
		}
		qs := queries(t, key, d)
		for _, q := range qs {
			names := metricNames(t, q.expr)
			if len(names) == 0 {
				t.Errorf("%s: %s: no metric in %q", key, q.panel, q.expr)
			}
			for _, n := range names {
				if !allowed(k, n) {
					t.Errorf("%s: %s: metric %q is not in known_metrics.toml [%s]", key, q.panel, n, key)
				}
			}
		}
	}
	// The check itself refuses a name the engine does not export.
	if allowed(known["vllm"], "vllm:gpu_cache_usage_perc") || allowed(known["vllm"], "vllm:time_to_first_token_seconds") {
		t.Error("allowed() accepts a name that is not exported as such")
	}
}

// TestDashboardQueriesParse feeds every query to promtool as a recording
// rule, with the Grafana variables replaced, so PromQL syntax errors fail.
func TestDashboardQueriesParse(t *testing.T) {
	promtool := testtool.Promtool(t)
	type rule struct {
		Record string `yaml:"record"`
		Expr   string `yaml:"expr"`
	}
	type group struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	}
	var groups []group
	vars := strings.NewReplacer("$soulstone", ".*", "$__rate_interval", "5m")
	for _, key := range sortedKeys(dashboardFiles(t)) {
		d := dashboardFiles(t)[key]
		g := group{Name: key}
		for i, q := range queries(t, key, d) {
			g.Rules = append(g.Rules, rule{Record: fmt.Sprintf("lychd:check_%d", i), Expr: vars.Replace(q.expr)})
		}
		groups = append(groups, g)
	}
	data, err := yaml.Marshal(map[string]any{"groups": groups})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s\n%s", err, out, data)
	}
	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, []byte("groups:\n  - name: x\n    rules:\n      - record: x\n        expr: sum by (le (x)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", bad).CombinedOutput(); err == nil {
		t.Errorf("promtool accepted a broken expression:\n%s", out)
	}
}

// TestEveryPresetHasADashboard ties dashboards.toml to the built-in
// presets: adding an engine means adding its dashboard.
func TestEveryPresetHasADashboard(t *testing.T) {
	reg, err := engine.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	specs, err := DashboardSpecs()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range specs {
		if k != VesselDashboard {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if !reflect.DeepEqual(keys, reg.Names()) {
		t.Fatalf("dashboards %q, presets %q: one dashboard per preset", keys, reg.Names())
	}
	for _, name := range reg.Names() {
		p, _, _ := reg.Lookup(name)
		live := specs[name].Liveness
		switch {
		case p.Metrics == nil && live != "":
			t.Errorf("%s exports no metrics but its dashboard has liveness %q", name, live)
		case p.Metrics != nil && !strings.HasPrefix(live, p.Metrics.Prefix):
			t.Errorf("%s: liveness %q does not start with the preset's prefix %q", name, live, p.Metrics.Prefix)
		}
	}
}

func TestProvisioning(t *testing.T) {
	out, err := Generate(Config{HarvesterAddress: "127.0.0.1:19091"})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range out.Files {
		files[f.Name] = f.Data
	}
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			UID, Type, URL string
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal(files[GrafanaDatasourcesFile], &ds); err != nil {
		t.Fatal(err)
	}
	if ds.APIVersion != 1 || len(ds.Datasources) != 1 || ds.Datasources[0].UID != DatasourceUID ||
		ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://127.0.0.1:19091" {
		t.Errorf("datasources = %+v", ds)
	}
	var prov struct {
		Providers []struct {
			Type    string
			Options struct{ Path string }
		} `yaml:"providers"`
	}
	if err := yaml.Unmarshal(files[GrafanaProvidersFile], &prov); err != nil {
		t.Fatal(err)
	}
	if len(prov.Providers) != 1 || prov.Providers[0].Type != "file" || prov.Providers[0].Options.Path != GrafanaDashboardsDir {
		t.Errorf("providers = %+v", prov)
	}
	// The mounts of the runes put the files where the configuration says.
	h := HarvesterRune("/w/prometheus.yml", "lychd-harvester", false)
	if want := filepath.Base(PrometheusFile); filepath.Base(HarvesterConfigFile) != want || h.Volumes[0] != "/w/prometheus.yml:"+HarvesterConfigFile+":ro,Z" {
		t.Errorf("harvester mounts %q do not put %s at %s", h.Volumes, PrometheusFile, HarvesterConfigFile)
	}
	if !strings.HasPrefix(GrafanaDatasourcesFile, "grafana/provisioning/") || !strings.HasPrefix(GrafanaProvisioningDir, GrafanaConfigDir+"/provisioning") ||
		GrafanaDashboardsDir != GrafanaConfigDir+"/"+strings.TrimSuffix(strings.TrimPrefix(grafanaDashboardsPrefix, "grafana/"), "/") {
		t.Error("the grafana directory layout and the in-container paths disagree")
	}
}

// TestEngineTargets: soulstones resolved from the built-in presets become
// the Harvester's targets (vLLM named by its served model name, the
// soulstone's own), and a preset without metrics (Kokoro) is not scraped.
func TestEngineTargets(t *testing.T) {
	reg, err := engine.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	for _, s := range []engine.Soulstone{
		{Name: "qwen", Engine: "vllm", Model: "Qwen/Qwen2.5-7B-Instruct"},
		{Name: "tiny", Engine: "llama.cpp", Model: "ggml-org/gemma-3-1b-it-GGUF"},
		{Name: "voice", Engine: "kokoro"},
	} {
		r, err := reg.Resolve(s)
		if err != nil {
			t.Fatal(err)
		}
		target, ok := EngineTarget(r)
		if ok != (s.Engine != "kokoro") {
			t.Fatalf("%s: scraped %v", s.Name, ok)
		}
		if ok {
			cfg.Targets = append(cfg.Targets, target)
		}
	}
	want := []Target{
		{Soulstone: "qwen", Engine: "vllm", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:", IdentityLabel: "model_name", Identity: "qwen"},
		{Soulstone: "tiny", Engine: "llama.cpp", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "llamacpp:"},
	}
	if !reflect.DeepEqual(cfg.Targets, want) {
		t.Fatalf("targets %+v\nwant %+v", cfg.Targets, want)
	}
	if _, _, err := Prometheus(cfg); err != nil {
		t.Fatal(err)
	}
}
