package stop

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/systemd/systemdfake"
)

func run(t *testing.T, fake *systemdfake.Manager, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	f := &cmdutil.Factory{IO: cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}, Getenv: func(string) string { return "" }}
	cmd := NewCmd(f, func(ctx context.Context, o *Options) error {
		o.Manager = func(context.Context) (systemd.Manager, error) { return fake, nil }
		return Run(ctx, o)
	})
	cmd.SetArgs(append([]string{}, args...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	return out.String(), err
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
	if err == nil || !strings.HasPrefix(err.Error(), `no coven or soulstone named "ghost"`) {
		t.Fatalf("err = %v", err)
	}
	if strings.Join(fake.Calls, ";") != "read lychd-coven-ghost.target;read lychd-soulstone-ghost.service" {
		t.Errorf("calls = %v", fake.Calls)
	}
}
