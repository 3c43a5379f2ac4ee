package logs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmd/cmdtest"
	"github.com/lychd/lychd/internal/model"
)

const soulstones = `[vpre]
image = "ghcr.io/example/vpre:1"
groups = ["vision"]

[vana]
image = "ghcr.io/example/vana:1"
groups = ["vision"]

[hermes]
image = "ghcr.io/example/hermes:1"
`

// fakeJournalctl is a journalctl that prints each argument on a line of
// its own, writes one line to stderr and exits with status code.
func fakeJournalctl(t *testing.T, code string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "journalctl")
	script := "#!/bin/sh\nprintf '%s\\n' \"$@\"\necho 'from stderr' >&2\nexit " + code + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs lychd logs ARGS in a sandbox where the soulstones above and
// the core's Vessel are bound, with journalctl at bin.
func run(t *testing.T, bin string, args ...string) (*cmdtest.Env, error) {
	t.Helper()
	env := cmdtest.New(t)
	env.WriteCodex(t, "soulstones/all.toml", soulstones)
	env.Bind(t, &host.Result{Runes: []model.Rune{{Name: "vessel", Kind: model.KindCore, Image: "ghcr.io/hexanomicon/lychd:latest",
		Source: model.Source{Kind: model.SourceCore, Name: "core"}}}})
	cmd := NewCmd(env.Factory(), func(ctx context.Context, o *Options) error {
		o.Journalctl = func() (string, error) { return bin, nil }
		return Run(ctx, o)
	})
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return env, cmd.Execute()
}

func TestLogs(t *testing.T) {
	bin := fakeJournalctl(t, "0")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"coven: every member", []string{"vision"}, "--user\n--no-pager\n-u\nlychd-soulstone-vana.service\n-u\nlychd-soulstone-vpre.service\n"},
		{"soulstone, core rune, follow, lines", []string{"hermes", "vessel", "-f", "-n", "20"}, "--user\n--no-pager\n-u\nlychd-soulstone-hermes.service\n-u\nlychd-vessel.service\n-n\n20\n-f\n"},
		{"a member and its coven, once", []string{"vana", "vision", "--lines=0"}, "--user\n--no-pager\n-u\nlychd-soulstone-vana.service\n-u\nlychd-soulstone-vpre.service\n-n\n0\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := run(t, bin, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if got := env.Out.String(); got != tc.want {
				t.Errorf("journalctl's arguments:\n%s\nwant:\n%s", got, tc.want)
			}
			if got := env.Err.String(); got != "from stderr\n" {
				t.Errorf("stderr = %q", got)
			}
		})
	}
}

func TestLogsErrors(t *testing.T) {
	_, err := run(t, fakeJournalctl(t, "0"), "visoin")
	want := `"visoin" is neither a coven, a soulstone nor a core rune of the bound Sepulcher (did you mean "vision"?); see them with: lychd status`
	if err == nil || err.Error() != want {
		t.Errorf("unknown name:\n got: %v\nwant: %s", err, want)
	}
	_, err = run(t, fakeJournalctl(t, "3"), "hermes")
	if want := "logs: journalctl exited with status 3"; err == nil || err.Error() != want {
		t.Errorf("failing journalctl:\n got: %v\nwant: %s", err, want)
	}
	_, err = run(t, fakeJournalctl(t, "0"), "hermes", "-n", "-2")
	if want := "--lines -2: give a number of lines, 0 or more"; err == nil || err.Error() != want {
		t.Errorf("bad --lines:\n got: %v\nwant: %s", err, want)
	}
	env := cmdtest.New(t)
	cmd := NewCmd(env.Factory(), func(ctx context.Context, o *Options) error {
		o.Journalctl = func() (string, error) { return "", os.ErrNotExist }
		return Run(ctx, o)
	})
	env.WriteCodex(t, "soulstones/all.toml", soulstones)
	env.Bind(t, nil)
	cmd.SetArgs([]string{"hermes"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err, want := cmd.Execute(), "logs: journalctl is not on $PATH; lychd logs reads the systemd journal with it (install systemd's journalctl)"; err == nil || err.Error() != want {
		t.Errorf("no journalctl:\n got: %v\nwant: %s", err, want)
	}
}
