package start

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/cmd/cmdtest"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/systemd/systemdfake"
)

// codex: coven vision (vpre, vana) hostile to hermes (reasoning); hermes
// allied with xtts (tts), and so is vision.
const (
	mainFile   = "alliances = [[\"reasoning\", \"tts\"], [\"vision\", \"tts\"]]\n"
	soulstones = `[vpre]
image = "ghcr.io/example/vpre:1"
groups = ["vision"]

[vana]
image = "ghcr.io/example/vana:1"
groups = ["vision"]

[hermes]
image = "ghcr.io/example/hermes:1"
groups = ["reasoning"]

[xtts]
image = "ghcr.io/example/xtts:1"
groups = ["tts"]
`
)

// bound returns a sandbox with the Codex above bound.
func boundEnv(t *testing.T) *cmdtest.Env {
	t.Helper()
	env := cmdtest.New(t)
	env.WriteCodex(t, "lychd.toml", mainFile)
	env.WriteCodex(t, "soulstones/all.toml", soulstones)
	env.Bind(t, nil)
	return env
}

func run(t *testing.T, env *cmdtest.Env, fake *systemdfake.Manager, args ...string) (string, error) {
	t.Helper()
	env.Out.Reset()
	cmd := NewCmd(env.Factory(), func(ctx context.Context, o *Options) error {
		o.Manager = func(context.Context) (systemd.Manager, error) { return fake, nil }
		o.Journal = func(_ context.Context, unit string, n int) (string, error) {
			return fmt.Sprintf("journal line 1 of %s\njournal line %d of %s", unit, n, unit), nil
		}
		return Run(ctx, o)
	})
	cmd.SetArgs(append([]string{}, args...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return env.Out.String(), err
}

func TestStartReportsTransaction(t *testing.T) {
	fake := &systemdfake.Manager{Transactions: map[string][]systemd.Job{
		"start lychd-soulstone-hermes.service": {
			{ID: 7, Unit: "lychd-soulstone-hermes.service", Type: "start", Result: "done", Requested: true},
			{ID: 8, Unit: "lychd-hold-vision.target", Type: "stop", Result: "done"},
			{ID: 9, Unit: "app.slice", Type: "start", Result: "done"},
			{ID: 10, Unit: "lychd-soulstone-vpre.service", Type: "stop", Result: "done"},
		},
	}}
	out, err := run(t, boundEnv(t), fake, "hermes")
	if err != nil {
		t.Fatal(err)
	}
	want := `starting lychd-soulstone-hermes.service
stopping lychd-hold-vision.target (conflicts with lychd-soulstone-hermes.service)
stopping lychd-soulstone-vpre.service (conflicts with lychd-soulstone-hermes.service)
started lychd-soulstone-hermes.service
stopped lychd-hold-vision.target
stopped lychd-soulstone-vpre.service
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	// Names resolve from the bound record: systemd is asked only to reset
	// the start limit and to start.
	if got := strings.Join(fake.Calls, "; "); got != "reset-failed lychd-soulstone-hermes.service; start lychd-soulstone-hermes.service" {
		t.Errorf("calls = %s", got)
	}
}

func TestStartResolvesCovenTargetAndDedupes(t *testing.T) {
	fake := &systemdfake.Manager{}
	out, err := run(t, boundEnv(t), fake, "vision", "xtts", "vision")
	if err != nil {
		t.Fatal(err)
	}
	want := "starting lychd-coven-vision.target\nstarting lychd-soulstone-xtts.service\nstarted lychd-coven-vision.target\nstarted lychd-soulstone-xtts.service\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	// The start limits reset are those of the units started and the
	// coven's members, not of every lychd unit.
	if !slices.Contains(fake.Calls, "reset-failed lychd-coven-vision.target lychd-soulstone-vana.service lychd-soulstone-vpre.service lychd-soulstone-xtts.service") {
		t.Errorf("calls = %q", fake.Calls)
	}
}

func TestStartRefusesConflictingNamesBeforeSystemd(t *testing.T) {
	fake := &systemdfake.Manager{}
	_, err := run(t, boundEnv(t), fake, "xtts", "vision", "hermes")
	want := `refusing to start vision and hermes together: they conflict ("vana" is in coven "vision", "hermes" in coven "reasoning", and no alliance joins them; list their covens in one alliance in lychd.toml to run them together)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if len(fake.Calls) > 0 {
		t.Errorf("systemd was asked: %q", fake.Calls)
	}
}

func TestStartUnknownNames(t *testing.T) {
	fake := &systemdfake.Manager{}
	_, err := run(t, boundEnv(t), fake, "nope", "hermes", "herms")
	want := `"nope" is neither a coven, a soulstone nor a core rune of the bound Sepulcher; see them with: lychd status` + "\n" +
		`"herms" is neither a coven, a soulstone nor a core rune of the bound Sepulcher (did you mean "hermes"?); see them with: lychd status`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if len(fake.Calls) > 0 {
		t.Errorf("systemd was asked: %q", fake.Calls)
	}
}

func TestStartNothingBound(t *testing.T) {
	_, err := run(t, cmdtest.New(t), &systemdfake.Manager{}, "hermes")
	if err == nil || err.Error() != "nothing is bound yet; run: lychd bind" {
		t.Fatalf("err = %v", err)
	}
}

func TestStartFailedJobs(t *testing.T) {
	fake := &systemdfake.Manager{Transactions: map[string][]systemd.Job{
		"start lychd-coven-vision.target": {
			{ID: 1, Unit: "lychd-coven-vision.target", Type: "start", Result: "dependency", Requested: true},
			{ID: 2, Unit: "lychd-soulstone-vana.service", Type: "start", Result: "failed"},
			{ID: 3, Unit: "lychd-soulstone-vpre.service", Type: "start", Result: "done"},
		},
	}}
	out, err := run(t, boundEnv(t), fake, "vision")
	wantErr := `start failed for lychd-coven-vision.target, lychd-soulstone-vana.service; see: journalctl --user -u lychd-coven-vision.target -u lychd-soulstone-vana.service
lychd-soulstone-vana.service failed to start; its last journal lines:
  journal line 1 of lychd-soulstone-vana.service
  journal line 10 of lychd-soulstone-vana.service`
	if err == nil || err.Error() != wantErr {
		t.Fatalf("err = %v, want %s", err, wantErr)
	}
	want := `starting lychd-coven-vision.target
starting lychd-soulstone-vana.service
starting lychd-soulstone-vpre.service
failed to start lychd-coven-vision.target (result: dependency)
failed to start lychd-soulstone-vana.service (result: failed)
started lychd-soulstone-vpre.service
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

func TestStartNeedsNames(t *testing.T) {
	_, err := run(t, cmdtest.New(t), &systemdfake.Manager{})
	var ferr *cmdutil.FlagError
	if !errors.As(err, &ferr) || err.Error() != "name at least one coven or soulstone to start" {
		t.Fatalf("err = %v, want a FlagError", err)
	}
}

func TestStartSystemdError(t *testing.T) {
	sdErr := errors.New("resetting lychd-soulstone-hermes.service at /run/user/1/systemd/private: connection reset")
	_, err := run(t, boundEnv(t), &systemdfake.Manager{Err: sdErr}, "hermes")
	if !errors.Is(err, sdErr) {
		t.Fatalf("err = %v", err)
	}
}

// Ctrl-C while systemd works: lychd stops waiting and says what systemd
// goes on with.
func TestStartInterrupted(t *testing.T) {
	fake := &systemdfake.Manager{Interrupt: true, Transactions: map[string][]systemd.Job{
		"start lychd-soulstone-hermes.service": {
			{ID: 7, Unit: "lychd-soulstone-hermes.service", Type: "start", Requested: true},
			{ID: 8, Unit: "lychd-soulstone-vpre.service", Type: "stop", Result: "done"},
		},
	}}
	_, err := run(t, boundEnv(t), fake, "hermes")
	want := "interrupted: lychd stopped waiting, and systemd goes on with: start lychd-soulstone-hermes.service (follow them with: systemctl --user list-jobs)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestStartBlamesTheRightUnit(t *testing.T) {
	fake := &systemdfake.Manager{Transactions: map[string][]systemd.Job{
		"start lychd-soulstone-xtts.service lychd-soulstone-hermes.service": {
			{ID: 3, Unit: "lychd-soulstone-xtts.service", Type: "start", Result: "done", Requested: true},
			{ID: 4, Unit: "lychd-soulstone-hermes.service", Type: "start", Result: "done", Requested: true},
			{ID: 5, Unit: "lychd-soulstone-vpre.service", Type: "stop", Result: "done"},
			{ID: 6, Unit: "other.service", Type: "stop", Result: "done"},
		},
	}}
	out, err := run(t, boundEnv(t), fake, "xtts", "hermes")
	if err != nil {
		t.Fatal(err)
	}
	want := `starting lychd-soulstone-xtts.service
starting lychd-soulstone-hermes.service
stopping lychd-soulstone-vpre.service (conflicts with lychd-soulstone-hermes.service)
stopping other.service
started lychd-soulstone-xtts.service
started lychd-soulstone-hermes.service
stopped lychd-soulstone-vpre.service
stopped other.service
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// --no-wait queues the transaction, reports its jobs as queued and
// returns without waiting for any.
func TestStartNoWait(t *testing.T) {
	fake := &systemdfake.Manager{Transactions: map[string][]systemd.Job{
		"start lychd-soulstone-hermes.service": {
			{ID: 7, Unit: "lychd-soulstone-hermes.service", Type: "start", Result: "done", Requested: true},
			{ID: 8, Unit: "lychd-soulstone-vpre.service", Type: "stop", Result: "done"},
		},
	}}
	out, err := run(t, boundEnv(t), fake, "--no-wait", "hermes")
	if err != nil {
		t.Fatal(err)
	}
	want := `starting lychd-soulstone-hermes.service
stopping lychd-soulstone-vpre.service (conflicts with lychd-soulstone-hermes.service)
queued; lychd did not wait for the jobs (follow them with: lychd status)
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if got := strings.Join(fake.Calls, "; "); got != "reset-failed lychd-soulstone-hermes.service; enqueue lychd-soulstone-hermes.service" {
		t.Errorf("calls = %s", got)
	}
}

// A soulstone that is not ready within its start timeout: systemd restarts
// it (Restart=always) while its start job stays queued, so the client
// reports the job restarted and stops waiting; the error says why, how to
// stop it, and shows its last journal lines. The target's job, still
// queued, is named as what systemd goes on with.
func TestStartNotReady(t *testing.T) {
	fake := &systemdfake.Manager{
		Units: []systemd.Unit{{Name: "lychd-soulstone-vana.service", LoadState: "loaded", ActiveState: "activating", SubState: "auto-restart",
			Result: "timeout", TimeoutStart: 120 * time.Second}},
		Transactions: map[string][]systemd.Job{
			"start lychd-coven-vision.target": {
				{ID: 1, Unit: "lychd-coven-vision.target", Type: "start", Requested: true},
				{ID: 2, Unit: "lychd-soulstone-vana.service", Type: "start", Result: "restarted"},
				{ID: 3, Unit: "lychd-soulstone-vpre.service", Type: "start", Result: "done"},
			},
		}}
	out, err := run(t, boundEnv(t), fake, "vision")
	wantErr := `start failed for lychd-soulstone-vana.service; see: journalctl --user -u lychd-soulstone-vana.service; lychd stopped waiting, and systemd goes on with: start lychd-coven-vision.target
lychd-soulstone-vana.service was not ready within its start timeout of 120 s (start_timeout_seconds), or exited before; systemd restarts it until it is stopped (lychd stop vana); its last journal lines:
  journal line 1 of lychd-soulstone-vana.service
  journal line 10 of lychd-soulstone-vana.service`
	if err == nil || err.Error() != wantErr {
		t.Fatalf("err = %v\nwant %s", err, wantErr)
	}
	want := `starting lychd-coven-vision.target
starting lychd-soulstone-vana.service
starting lychd-soulstone-vpre.service
failed to start lychd-soulstone-vana.service (it was not ready within its start timeout, or exited, and systemd restarted it)
started lychd-soulstone-vpre.service
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

// systemd 254 and later fail the start job at the timeout and restart the
// unit (auto-restart): the error says so too.
func TestStartTimedOut(t *testing.T) {
	fake := &systemdfake.Manager{
		Units: []systemd.Unit{{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", ActiveState: "activating", SubState: "auto-restart",
			Result: "timeout", TimeoutStart: 3 * time.Second}},
		Transactions: map[string][]systemd.Job{
			"start lychd-soulstone-hermes.service": {
				{ID: 1, Unit: "lychd-soulstone-hermes.service", Type: "start", Result: "failed", Requested: true},
			},
		}}
	_, err := run(t, boundEnv(t), fake, "hermes")
	wantErr := `start failed for lychd-soulstone-hermes.service; see: journalctl --user -u lychd-soulstone-hermes.service
lychd-soulstone-hermes.service was not ready within its start timeout of 3 s (start_timeout_seconds); systemd restarts it until it is stopped (lychd stop hermes); its last journal lines:
  journal line 1 of lychd-soulstone-hermes.service
  journal line 10 of lychd-soulstone-hermes.service`
	if err == nil || err.Error() != wantErr {
		t.Fatalf("err = %v\nwant %s", err, wantErr)
	}
}
