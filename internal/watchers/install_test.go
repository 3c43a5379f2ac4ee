package watchers

import (
	"os"
	"path/filepath"
	"testing"
)

func actions(ds []Decision) map[string]Action {
	m := map[string]Action{}
	for _, d := range ds {
		m[d.Name] = d.Action
	}
	return m
}

// TestInstall: the first Install writes everything and its Record; a
// dashboard the user edited survives the next Install, which still
// updates the files lychd owns and the dashboards nobody changed, and
// removes a dashboard lychd no longer generates.
func TestInstall(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "watchers")
	v1 := []File{
		{Name: "grafana/provisioning/datasources/lychd.yaml", Data: []byte("ds v1\n")},
		{Name: "grafana/dashboards/a.json", Data: []byte("a v1\n"), UserEditable: true},
		{Name: "grafana/dashboards/b.json", Data: []byte("b v1\n"), UserEditable: true},
		{Name: "grafana/dashboards/c.json", Data: []byte("c v1\n"), UserEditable: true},
	}
	ds, err := Install(dir, v1)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range actions(ds) {
		if a != Write {
			t.Errorf("first install: %s: %s", name, a)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, RecordFile)); err != nil {
		t.Fatal(err)
	}
	edited := filepath.Join(dir, "grafana", "dashboards", "a.json")
	if err := os.WriteFile(edited, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v2 := []File{
		{Name: "grafana/provisioning/datasources/lychd.yaml", Data: []byte("ds v2\n")},
		{Name: "grafana/dashboards/a.json", Data: []byte("a v2\n"), UserEditable: true},
		{Name: "grafana/dashboards/b.json", Data: []byte("b v2\n"), UserEditable: true},
	}
	ds, err = Install(dir, v2)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Action{
		"grafana/provisioning/datasources/lychd.yaml": Write,
		"grafana/dashboards/a.json":                   Keep,
		"grafana/dashboards/b.json":                   Write,
		"grafana/dashboards/c.json":                   Remove,
	}
	if got := actions(ds); len(got) != len(want) {
		t.Fatalf("second install: %v, want %v", got, want)
	} else {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("second install: %s: %s, want %s", k, got[k], v)
			}
		}
	}
	for name, content := range map[string]string{
		"grafana/dashboards/a.json":                   "mine\n",
		"grafana/dashboards/b.json":                   "b v2\n",
		"grafana/provisioning/datasources/lychd.yaml": "ds v2\n",
	} {
		if data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name))); err != nil || string(data) != content {
			t.Errorf("%s = %q, %v; want %q", name, data, err, content)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "grafana", "dashboards", "c.json")); !os.IsNotExist(err) {
		t.Errorf("c.json not removed: %v", err)
	}
	// The edit is still the user's on the next install, and nothing else
	// is written.
	ds, err = Install(dir, v2)
	if err != nil {
		t.Fatal(err)
	}
	for name, a := range actions(ds) {
		if w := map[bool]Action{true: Keep, false: Unchanged}[name == "grafana/dashboards/a.json"]; a != w {
			t.Errorf("third install: %s: %s, want %s", name, a, w)
		}
	}
}

// TestInstallDefault: lychd init's installation holds the provisioning
// and every dashboard, and a later Install for a Codex (here, one
// soulstone) updates them without a conflict.
func TestInstallDefault(t *testing.T) {
	dir := t.TempDir()
	ds, err := InstallDefault(dir)
	if err != nil {
		t.Fatal(err)
	}
	specs, err := DashboardSpecs()
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 + len(specs); len(ds) != want {
		t.Errorf("installed %d files, want %d (provisioning and %d dashboards)", len(ds), want, len(specs))
	}
	for _, d := range ds {
		if d.Name == PrometheusFile || d.Action != Write {
			t.Errorf("%s: %s", d.Name, d.Action)
		}
	}
	out, err := Generate(Config{Targets: []Target{{Soulstone: "qwen", Engine: "vllm", Port: 8081, MetricsPath: "/metrics", MetricPrefix: "vllm:", IdentityLabel: "model_name", Identity: "qwen"}}})
	if err != nil {
		t.Fatal(err)
	}
	ds, err = Install(dir, GrafanaFiles(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Action == Keep {
			t.Errorf("%s kept as the user's: %s", d.Name, d.Reason)
		}
	}
}
