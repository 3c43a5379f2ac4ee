package start

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/sepulcher"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/systemd/systemdfake"
)

func installedResolver(t *testing.T, load func() (*covenant.Graph, error)) *Installed {
	t.Helper()
	// vpre is not installed: the Codex changed since the last bind.
	var us []systemd.Unit
	for _, u := range units() {
		if u.Name != "lychd-soulstone-vpre.service" {
			us = append(us, u)
		}
	}
	ur, err := systemd.NewUnitResolver(context.Background(), &systemdfake.Manager{Units: us})
	if err != nil {
		t.Fatal(err)
	}
	return &Installed{Units: ur, Covenant: load}
}

func TestInstalledFallsBackToTheCovenant(t *testing.T) {
	loads := 0
	r := installedResolver(t, func() (*covenant.Graph, error) { loads++; return graph(t), nil })
	if u, _, err := r.Resolve("vision"); err != nil || u != "lychd-coven-vision.target" || loads != 0 {
		t.Errorf("Resolve(vision) = %s, %v after %d loads; want the target without loading the Codex", u, err, loads)
	}
	if u, m, err := r.Resolve("reasoning"); err != nil || u != "lychd-soulstone-hermes.service" || strings.Join(m, " ") != u {
		t.Errorf("Resolve(reasoning) = %s %v %v", u, m, err)
	}
	if _, _, err := r.Resolve("vpre"); err == nil || err.Error() != "\"vpre\" is in the Codex but systemd has no lychd-soulstone-vpre.service loaded; run `lychd bind`" {
		t.Errorf("Resolve(vpre) err = %v", err)
	}
	if _, _, err := r.Resolve("nosuch"); err == nil || !strings.HasPrefix(err.Error(), `no coven or soulstone named "nosuch": systemd has neither`) {
		t.Errorf("Resolve(nosuch) err = %v", err)
	}
	if loads != 1 {
		t.Errorf("the covenant was loaded %d times, want once", loads)
	}
	if a, b, ok := r.Conflict([]string{"xtts", "reasoning", "vision"}); !ok || a != "reasoning" || b != "vision" {
		t.Errorf("Conflict = %s %s %v", a, b, ok)
	}
	if got := r.WhyConflict("reasoning", "vision"); got != `"hermes" is in coven "reasoning", "vana" in coven "vision", and no alliance joins them` {
		t.Errorf("WhyConflict = %q", got)
	}
}

func TestInstalledCodexUnreadable(t *testing.T) {
	r := installedResolver(t, func() (*covenant.Graph, error) { return nil, errors.New("lychd.toml:3: bad alliance") })
	_, _, err := r.Resolve("reasoning")
	want := "no coven or soulstone named \"reasoning\": systemd has neither lychd-coven-reasoning.target nor lychd-soulstone-reasoning.service loaded (run `lychd bind` after adding it to the Codex; `lychd status` lists what is installed); reading the Codex to look for a coven of that name failed too: lychd.toml:3: bad alliance"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
	if r.WhyConflict("hermes", "vision") != "" {
		t.Error("WhyConflict without a Codex should be empty")
	}
}

// TestStartCovenOfOneFromTheCodex runs the command with a real Codex in a
// temporary HOME: the coven of one "reasoning" starts hermes.
func TestStartCovenOfOneFromTheCodex(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, ".config", "lychd", "soulstones")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	codexFile := "[hermes]\nimage = \"example.invalid/hermes:1\"\ngroups = [\"reasoning\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "s.toml"), []byte(codexFile), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	f := &cmdutil.Factory{
		IO:     cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out},
		Getenv: func(k string) string { return map[string]string{"HOME": home}[k] },
		Assimilate: func(context.Context, *codex.Codex) (*sepulcher.Assimilated, error) {
			return &sepulcher.Assimilated{}, nil
		},
	}
	f.Paths = func() (paths.Paths, error) { return paths.FromEnv(f.Getenv) }
	fake := &systemdfake.Manager{Units: units()}
	cmd := NewCmd(f, func(ctx context.Context, o *Options) error {
		o.Manager = func(context.Context) (systemd.Manager, error) { return fake, nil }
		return Run(ctx, o)
	})
	cmd.SetArgs([]string{"reasoning"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "starting lychd-soulstone-hermes.service\nstarted lychd-soulstone-hermes.service\n" {
		t.Errorf("output:\n%s", got)
	}
}
