package site

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestConfigFiles: a generation's config files are written into its config
// directory, which "current" shows; a change to one is a visible change
// with a diff; one changed by hand is refused like an edited unit; a
// generation without them has no config directory.
func TestConfigFiles(t *testing.T) {
	s := newSite(t)
	g := recorded(genOf("lychd.pod=P\n", "prometheus.yml=targets: [a]\n"))
	p := apply(t, s, g)
	const shown = "~/.local/share/lychd/bindings/current/config/prometheus.yml"
	if !slices.Contains(ops(p.Changes), "create "+shown) {
		t.Errorf("first bind: changes %v", ops(p.Changes))
	}
	assertCanonical(t, s, g)
	path := filepath.Join(s.BindingsDir, "current", "config", "prometheus.yml")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("config file: %v, %v", fi, err)
	}
	if p := apply(t, s, g); !p.Empty() {
		t.Errorf("the same generation again: %v %v", ops(p.Changes), ops(p.Internal))
	}

	next := recorded(genOf("lychd.pod=P\n", "prometheus.yml=targets: [a, b]\n"))
	p = apply(t, s, next)
	i := slices.IndexFunc(p.Changes, func(c Change) bool { return c.Path == shown })
	if i < 0 || p.Changes[i].Op != "update" || !strings.Contains(p.Changes[i].Diff, "+targets: [a, b]") {
		t.Fatalf("changed config: %+v", p.Changes)
	}
	assertCanonical(t, s, next)

	if err := os.WriteFile(path, []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gen, _ := os.Readlink(filepath.Join(s.BindingsDir, "current"))
	want := "~/.local/share/lychd/bindings/" + gen + "/config/prometheus.yml was changed since lychd wrote it, and a bind would replace it: make the change in the Codex instead (see docs/codex.md), then remove ~/.local/share/lychd/bindings/" + gen + "/config/prometheus.yml (lychd writes it again) and bind again"
	if _, err := s.Apply(t.Context(), g); err == nil || err.Error() != want {
		t.Fatalf("Apply over an edited config file:\n%v\nwant:\n%s", err, want)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	p = apply(t, s, next)
	if !slices.Contains(ops(p.Changes), "create "+shown) {
		t.Errorf("removed config file: changes %v", ops(p.Changes))
	}
	assertCanonical(t, s, next)

	none := recorded(genOf("lychd.pod=P\n"))
	p = apply(t, s, none)
	if !slices.Contains(ops(p.Changes), "remove "+shown) {
		t.Errorf("config file dropped: changes %v", ops(p.Changes))
	}
	assertCanonical(t, s, none)
	if _, err := os.Lstat(filepath.Join(s.BindingsDir, "current", "config")); !os.IsNotExist(err) {
		t.Errorf("a generation without config files has a config directory: %v", err)
	}
}

func TestConfigFileNames(t *testing.T) {
	for _, tc := range []struct {
		g    Generation
		want string
	}{
		{Generation{Config: []File{{Name: "prometheus.conf"}}}, `invalid config file name "prometheus.conf": does not end in one of .yml .yaml .json`},
		{Generation{Config: []File{{Name: "a/b.yml"}}}, `invalid config file name "a/b.yml": contains '/'; only base names are allowed`},
		{Generation{Config: []File{{Name: "a.yml"}, {Name: "a.yml"}}}, `config file "a.yml" appears twice in the generation`},
	} {
		if _, err := newSite(t).Plan(tc.g); err == nil || err.Error() != tc.want {
			t.Errorf("Plan(%v):\n got %v\nwant %s", tc.g.Config, err, tc.want)
		}
	}
}
