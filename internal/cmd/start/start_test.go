package start

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/systemd/systemdfake"
)

// units: coven vision (vpre, vana) hostile to hermes; hermes allied with xtts.
func units() []systemd.Unit {
	return []systemd.Unit{
		{Name: "lychd-coven-vision.target", LoadState: "loaded", Wants: []string{"lychd-soulstone-vana.service", "lychd-soulstone-vpre.service"}},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded", Conflicts: []string{"lychd-soulstone-hermes.service"}},
		{Name: "lychd-soulstone-vpre.service", LoadState: "loaded", Conflicts: []string{"lychd-soulstone-hermes.service"}},
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", Conflicts: []string{"lychd-coven-vision.target"}},
		{Name: "lychd-soulstone-xtts.service", LoadState: "loaded"},
	}
}

func run(t *testing.T, fake *systemdfake.Manager, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := &cmdutil.Factory{IO: cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, Getenv: func(string) string { return "" }}
	cmd := NewCmd(f, func(ctx context.Context, o *Options) error {
		o.Manager = func(context.Context) (systemd.Manager, error) { return fake, nil }
		return Run(ctx, o)
	})
	cmd.SetArgs(append([]string{}, args...))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestStartReportsTransaction(t *testing.T) {
	fake := &systemdfake.Manager{Units: units(), Transactions: map[string][]systemd.Job{
		"start lychd-soulstone-hermes.service": {
			{ID: 7, Unit: "lychd-soulstone-hermes.service", Type: "start", Result: "done", Requested: true},
			{ID: 8, Unit: "lychd-coven-vision.target", Type: "stop", Result: "done"},
			{ID: 9, Unit: "app.slice", Type: "start", Result: "done"},
			{ID: 10, Unit: "lychd-soulstone-vpre.service", Type: "stop", Result: "done"},
		},
	}}
	out, _, err := run(t, fake, "hermes")
	if err != nil {
		t.Fatal(err)
	}
	want := `starting lychd-soulstone-hermes.service
stopping lychd-coven-vision.target (conflicts with lychd-soulstone-hermes.service)
stopping lychd-soulstone-vpre.service (conflicts with lychd-soulstone-hermes.service)
started lychd-soulstone-hermes.service
stopped lychd-coven-vision.target
stopped lychd-soulstone-vpre.service
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	// Before the start, lychd reads only what the name may be; the
	// "conflicts with" notes read the units the transaction holds loaded:
	// reading an inactive unit makes systemd load its whole neighbourhood,
	// and reading every lychd unit first made lychd start twice as slow as
	// systemctl start.
	if got := strings.Join(fake.Calls, "; "); got != "read lychd-coven-hermes.target; read lychd-soulstone-hermes.service; reset-failed lychd-soulstone-hermes.service; start lychd-soulstone-hermes.service; "+
		"read lychd-coven-vision.target; read lychd-soulstone-vana.service; read lychd-soulstone-vpre.service" {
		t.Errorf("calls = %s", got)
	}
}

func TestStartResolvesCovenTargetAndDedupes(t *testing.T) {
	fake := &systemdfake.Manager{Units: units()}
	out, _, err := run(t, fake, "vision", "xtts", "vision")
	if err != nil {
		t.Fatal(err)
	}
	want := "starting lychd-coven-vision.target\nstarting lychd-soulstone-xtts.service\nstarted lychd-coven-vision.target\nstarted lychd-soulstone-xtts.service\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	// The start limits reset are those of the units started and the
	// coven's members, not of every lychd unit.
	if !slices.Contains(fake.Calls, "reset-failed lychd-coven-vision.target lychd-soulstone-xtts.service lychd-soulstone-vana.service lychd-soulstone-vpre.service") {
		t.Errorf("calls = %q", fake.Calls)
	}
}

func TestStartRefusesConflictingNamesBeforeSystemd(t *testing.T) {
	fake := &systemdfake.Manager{Units: units()}
	_, _, err := run(t, fake, "xtts", "vision", "hermes")
	want := "refusing to start vision and hermes together: they conflict (their covens are not allied; list them in one alliance in lychd.toml to run them together)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	for _, c := range fake.Calls {
		if strings.HasPrefix(c, "start") {
			t.Errorf("systemd was asked to %s", c)
		}
	}
}

func TestStartUnknownNames(t *testing.T) {
	fake := &systemdfake.Manager{Units: units()}
	_, _, err := run(t, fake, "nope", "hermes", "gone")
	want := "no coven or soulstone named \"nope\": systemd has neither lychd-coven-nope.target nor lychd-soulstone-nope.service loaded (run `lychd bind` after adding it to the Codex; `lychd status` lists what is installed)\n" +
		"no coven or soulstone named \"gone\": systemd has neither lychd-coven-gone.target nor lychd-soulstone-gone.service loaded (run `lychd bind` after adding it to the Codex; `lychd status` lists what is installed)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestStartFailedJobs(t *testing.T) {
	fake := &systemdfake.Manager{Units: units(), Transactions: map[string][]systemd.Job{
		"start lychd-coven-vision.target": {
			{ID: 1, Unit: "lychd-coven-vision.target", Type: "start", Result: "dependency", Requested: true},
			{ID: 2, Unit: "lychd-soulstone-vana.service", Type: "start", Result: "failed"},
			{ID: 3, Unit: "lychd-soulstone-vpre.service", Type: "start", Result: "done"},
		},
	}}
	out, _, err := run(t, fake, "vision")
	wantErr := "start failed for lychd-coven-vision.target, lychd-soulstone-vana.service; see: journalctl --user -u lychd-coven-vision.target -u lychd-soulstone-vana.service"
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
	_, _, err := run(t, &systemdfake.Manager{})
	var ferr *cmdutil.FlagError
	if !errors.As(err, &ferr) || err.Error() != "name at least one coven or soulstone to start" {
		t.Fatalf("err = %v, want a FlagError", err)
	}
}

func TestStartSystemdError(t *testing.T) {
	sdErr := errors.New("listing unit files lychd-* at /run/user/1/systemd/private: connection reset")
	_, _, err := run(t, &systemdfake.Manager{Err: sdErr}, "hermes")
	if !errors.Is(err, sdErr) {
		t.Fatalf("err = %v", err)
	}
}

func TestStartBlamesTheRightUnit(t *testing.T) {
	fake := &systemdfake.Manager{Units: units(), Transactions: map[string][]systemd.Job{
		"start lychd-soulstone-xtts.service lychd-soulstone-hermes.service": {
			{ID: 3, Unit: "lychd-soulstone-xtts.service", Type: "start", Result: "done", Requested: true},
			{ID: 4, Unit: "lychd-soulstone-hermes.service", Type: "start", Result: "done", Requested: true},
			{ID: 5, Unit: "lychd-soulstone-vpre.service", Type: "stop", Result: "done"},
			{ID: 6, Unit: "other.service", Type: "stop", Result: "done"},
		},
	}}
	out, _, err := run(t, fake, "xtts", "hermes")
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

// TestStartReadErrorStopsBeforeSystemd: when a unit cannot be read,
// nothing is started.
func TestStartReadErrorStopsBeforeSystemd(t *testing.T) {
	fake := &systemdfake.Manager{Units: units(), ReadErr: errors.New("reading unit at the bus: connection reset")}
	_, _, err := run(t, fake, "xtts", "hermes")
	want := `looking up "xtts": reading unit at the bus: connection reset` + "\n" + `looking up "hermes": reading unit at the bus: connection reset`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	for _, c := range fake.Calls {
		if strings.HasPrefix(c, "start") || strings.HasPrefix(c, "reset-failed") {
			t.Errorf("called %s after a failed read", c)
		}
	}
}
