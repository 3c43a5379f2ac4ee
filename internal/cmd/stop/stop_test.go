package stop

import (
	"context"
	"testing"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmd/cmdtest"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/systemd/systemdfake"
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

// run runs lychd stop in a sandbox where the soulstones above and a
// migrate one-shot are bound.
func run(t *testing.T, fake *systemdfake.Manager, args ...string) (string, error) {
	t.Helper()
	env := cmdtest.New(t)
	env.WriteCodex(t, "soulstones/all.toml", soulstones)
	env.Bind(t, &host.Result{Runes: []model.Rune{{Name: "migrate", Kind: model.KindOneShot, Image: "ghcr.io/example/migrate:1",
		Source: model.Source{Kind: model.SourceCore, Name: "core"}}}})
	cmd := NewCmd(env.Factory(), func(ctx context.Context, o *Options) error {
		o.Manager = func(context.Context) (systemd.Manager, error) { return fake, nil }
		return Run(ctx, o)
	})
	cmd.SetArgs(append([]string{}, args...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return env.Out.String(), err
}

func TestStopCovenStopsTargetAndReportsMembers(t *testing.T) {
	fake := &systemdfake.Manager{
		Units: []systemd.Unit{
			{Name: "lychd-coven-vision.target", LoadState: "loaded", ConsistsOf: []string{"lychd-soulstone-vpre.service"}},
			{Name: "lychd-soulstone-vpre.service", LoadState: "loaded"},
			{Name: "lychd-soulstone-hermes.service", LoadState: "loaded"},
		},
		Transactions: map[string][]systemd.Job{
			"stop lychd-coven-vision.target lychd-soulstone-hermes.service": {
				{ID: 4, Unit: "lychd-coven-vision.target", Type: "stop", Result: "done", Requested: true},
				{ID: 5, Unit: "lychd-soulstone-hermes.service", Type: "stop", Result: "done", Requested: true},
				{ID: 6, Unit: "lychd-soulstone-vpre.service", Type: "stop", Result: "done"},
			},
		},
	}
	out, err := run(t, fake, "vision", "hermes")
	if err != nil {
		t.Fatal(err)
	}
	want := `stopping lychd-coven-vision.target
stopping lychd-soulstone-hermes.service
stopping lychd-soulstone-vpre.service
stopped lychd-coven-vision.target
stopped lychd-soulstone-hermes.service
stopped lychd-soulstone-vpre.service
`
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

func TestStopFailure(t *testing.T) {
	fake := &systemdfake.Manager{
		Units: []systemd.Unit{{Name: "lychd-soulstone-hermes.service", LoadState: "loaded"}},
		Transactions: map[string][]systemd.Job{"stop lychd-soulstone-hermes.service": {
			{ID: 1, Unit: "lychd-soulstone-hermes.service", Type: "stop", Result: "timeout", Requested: true},
		}},
	}
	out, err := run(t, fake, "hermes")
	want := "stop failed for lychd-soulstone-hermes.service; see: journalctl --user -u lychd-soulstone-hermes.service"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if out != "stopping lychd-soulstone-hermes.service\nfailed to stop lychd-soulstone-hermes.service (result: timeout)\n" {
		t.Errorf("output:\n%s", out)
	}
}

func TestStopUnknown(t *testing.T) {
	fake := &systemdfake.Manager{}
	_, err := run(t, fake, "ghost")
	if err == nil || err.Error() != `"ghost" is neither a coven, a soulstone nor a core rune of the bound Sepulcher; see them with: lychd status` {
		t.Fatalf("err = %v", err)
	}
	if len(fake.Calls) > 0 {
		t.Errorf("systemd was asked: %v", fake.Calls)
	}
}

// Ctrl-C while systemd stops the units: lychd stops waiting and says what
// systemd goes on with.
func TestStopInterrupted(t *testing.T) {
	fake := &systemdfake.Manager{
		Interrupt: true,
		Units:     []systemd.Unit{{Name: "lychd-soulstone-hermes.service", LoadState: "loaded"}},
		Transactions: map[string][]systemd.Job{"stop lychd-soulstone-hermes.service": {
			{ID: 1, Unit: "lychd-soulstone-hermes.service", Type: "stop", Requested: true},
		}},
	}
	out, err := run(t, fake, "hermes")
	want := "interrupted: lychd stopped waiting, and systemd goes on with: stop lychd-soulstone-hermes.service (follow them with: systemctl --user list-jobs)"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if out != "stopping lychd-soulstone-hermes.service\n" {
		t.Errorf("output:\n%s", out)
	}
}

// TestStopOneShot: stopping the core's migrate one-shot after it ran does
// nothing (a stop job would stop the Vessel, which requires it); while it
// runs, it is stopped.
func TestStopOneShot(t *testing.T) {
	done := &systemdfake.Manager{Units: []systemd.Unit{
		{Name: "lychd-migrate.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead", Result: "success"},
	}}
	out, err := run(t, done, "migrate")
	if err != nil {
		t.Fatal(err)
	}
	if want := "lychd-migrate.service is a one-shot that is not running (inactive/dead); nothing to stop\n"; out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	for _, c := range done.Calls {
		if c != "read lychd-migrate.service" {
			t.Errorf("systemd was asked to %s", c)
		}
	}

	running := &systemdfake.Manager{
		Units: []systemd.Unit{{Name: "lychd-migrate.service", LoadState: "loaded", ActiveState: "activating", SubState: "start"}},
		Transactions: map[string][]systemd.Job{"stop lychd-migrate.service": {
			{ID: 1, Unit: "lychd-migrate.service", Type: "stop", Result: "done", Requested: true},
		}},
	}
	out, err = run(t, running, "migrate")
	if err != nil {
		t.Fatal(err)
	}
	if want := "stopping lychd-migrate.service\nstopped lychd-migrate.service\n"; out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}
