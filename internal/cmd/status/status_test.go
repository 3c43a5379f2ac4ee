package status

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/host/lockfile"
	"github.com/lychd/lychd/internal/cmd/cmdtest"
	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/systemd/systemdfake"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// boundAt is when the test sandboxes were bound.
var boundAt = at("2026-11-25T17:58:00Z")

const soulstones = `[vpre]
image = "ghcr.io/example/vpre:1"
groups = ["vision"]

[vana]
image = "ghcr.io/example/vana:1"
groups = ["vision"]

[hermes]
image = "ghcr.io/example/hermes:1"

[xtts]
image = "ghcr.io/example/xtts:1"
`

// core is what the core registers in the sandboxes: the Vessel and the
// Oculus.
func core() *host.Result {
	src := model.Source{Kind: model.SourceCore, Name: "core"}
	return &host.Result{Runes: []model.Rune{
		{Name: "vessel", Kind: model.KindCore, Image: "ghcr.io/hexanomicon/lychd:1", Port: 8000, ExposePort: true, HostPort: 8080, Source: src},
		{Name: "oculus", Kind: model.KindCore, Image: "docker.io/arizephoenix/phoenix:1", Source: src},
	}}
}

// sandbox binds the soulstones above and the core, as of boundAt, with
// every unit file written before the manager's last load but vpre's.
func sandbox(t *testing.T) *cmdtest.Env {
	t.Helper()
	env := cmdtest.New(t)
	env.WriteCodex(t, "soulstones/all.toml", soulstones)
	env.Bind(t, core())
	cur := env.Paths.CurrentGeneration()
	filepath.Walk(cur+"/", func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			when := loadedAt.Add(-time.Minute)
			if filepath.Base(p) == "lychd-soulstone-vpre.container" {
				when = loadedAt.Add(time.Minute)
			}
			os.Chtimes(p, when, when)
		}
		return nil
	})
	ts := []unix.Timespec{unix.NsecToTimespec(boundAt.UnixNano()), unix.NsecToTimespec(boundAt.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, cur, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		t.Fatal(err)
	}
	return env
}

// loadedAt is the manager's last load in the sandboxes.
var loadedAt = at("2026-11-25T17:59:00Z")

// running: pod and vessel up, coven vision active, hermes stopped, xtts
// failed, oculus not found.
func running() []systemd.Unit {
	return []systemd.Unit{
		{Name: "lychd-soulstone-xtts.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed", InactiveEnterTimestamp: at("2026-11-25T18:02:03Z")},
		{Name: "lychd-soulstone-vpre.service", LoadState: "loaded", ActiveState: "active", SubState: "running", ActiveEnterTimestamp: at("2026-11-25T18:01:00Z")},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded", ActiveState: "active", SubState: "running", ActiveEnterTimestamp: at("2026-11-25T18:01:01Z")},
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
		{Name: "lychd-coven-vision.target", LoadState: "loaded", ActiveState: "active", SubState: "active", ActiveEnterTimestamp: at("2026-11-25T18:01:01Z")},
		{Name: "lychd-hold-vision.target", LoadState: "loaded", ActiveState: "active", SubState: "active", ActiveEnterTimestamp: at("2026-11-25T18:01:00Z")},
		{Name: "lychd-vessel.service", LoadState: "loaded", ActiveState: "active", SubState: "running", ActiveEnterTimestamp: at("2026-11-25T18:00:00Z")},
		{Name: "lychd-pod.service", LoadState: "loaded", ActiveState: "active", SubState: "running", ActiveEnterTimestamp: at("2026-11-25T17:59:59Z"), PublishedPorts: []string{"127.0.0.1:8080:8000"}},
	}
}

func run(t *testing.T, env *cmdtest.Env, fake *systemdfake.Manager, args ...string) string {
	t.Helper()
	env.Out.Reset()
	cmd := NewCmd(env.Factory(), func(ctx context.Context, o *Options) error {
		o.Manager = func(context.Context) (systemd.Manager, error) { return fake, nil }
		o.Location = time.UTC
		o.Unhealthy = func(context.Context) (map[string]bool, error) {
			t.Fatal("Podman asked for unhealthy containers, and no unit with a health check is active")
			return nil, nil
		}
		return Run(ctx, o)
	})
	cmd.SetArgs(append([]string{}, args...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return env.Out.String()
}

func TestStatusTable(t *testing.T) {
	got := run(t, sandbox(t), &systemdfake.Manager{Units: running(), LoadedAt: loadedAt})
	golden.Check(t, "testdata/table.golden", []byte(got))
}

func TestStatusJSON(t *testing.T) {
	got := run(t, sandbox(t), &systemdfake.Manager{Units: running(), LoadedAt: loadedAt}, "--json")
	golden.Check(t, "testdata/json.golden", []byte(got))
}

func TestStatusNothingBound(t *testing.T) {
	env := cmdtest.New(t)
	fake := &systemdfake.Manager{}
	if got := run(t, env, fake); got != "nothing is bound yet; run `lychd bind`\n" {
		t.Errorf("got %q", got)
	}
	want := "{\n  \"schema_version\": 1,\n  \"bound\": null,\n  \"units\": [],\n  \"active_covens\": [],\n  \"need_daemon_reload\": false,\n  \"changed_on_disk\": [],\n  \"removed_on_disk\": false\n}\n"
	if got := run(t, env, fake, "--json"); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if len(fake.Calls) > 0 {
		t.Errorf("systemd was asked: %q", fake.Calls)
	}
}

// TestStatusBindPending: a Codex edited, an extension installed or
// upgraded or removed since the bind are each flagged.
func TestStatusBindPending(t *testing.T) {
	env := sandbox(t)
	fake := &systemdfake.Manager{Units: running(), LoadedAt: loadedAt}
	if rep := runJSON(t, env, fake); rep.Bound.Pending() || rep.Bound.Generation != "gen-1" || !rep.Bound.At.Equal(boundAt) {
		t.Fatalf("right after the bind: %+v", rep.Bound)
	}
	env.WriteCodex(t, "soulstones/all.toml", soulstones+"\n# a comment\n")
	if err := lockfile.Update(env.Paths.ExtensionsDir(), func(l *lockfile.Lock) error {
		l.Extensions["tts-organ"] = lockfile.Entry{Version: "1.0.0", Protocol: 1, SHA256: strings.Repeat("a", 64)}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rep := runJSON(t, env, fake)
	if !rep.Bound.CodexChanged || strings.Join(rep.Bound.ExtensionsChanged, ",") != "tts-organ" {
		t.Errorf("bound = %+v", rep.Bound)
	}
	out := run(t, env, fake)
	if want := "bound: gen-1 at 2026-11-25 17:58:00\nbind pending: the Codex and extension tts-organ changed since; run: lychd bind\n"; !strings.HasPrefix(out, want) {
		t.Errorf("status:\n%s\nwant it to start with:\n%s", out, want)
	}
}

// TestActiveCovensFollowMembersNotTargets: a coven target stays active
// while a hostile soulstone displaced its members; the coven is not.
func TestActiveCovensFollowMembersNotTargets(t *testing.T) {
	fake := &systemdfake.Manager{LoadedAt: loadedAt, Units: []systemd.Unit{
		{Name: "lychd-coven-vision.target", LoadState: "loaded", ActiveState: "active"},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded", ActiveState: "inactive"},
		{Name: "lychd-soulstone-vpre.service", LoadState: "loaded", ActiveState: "active"},
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", ActiveState: "active"},
	}}
	rep := runJSON(t, sandbox(t), fake)
	if got := strings.Join(rep.ActiveCovens, ","); got != "hermes" {
		t.Errorf("active covens = %q, want hermes only", got)
	}
}

// TestStatusStoppedSepulcher: with everything stopped, status reads only the
// pod (for its ports); never an inactive soulstone (each read of an
// inactive unit makes systemd load the whole graph).
func TestStatusStoppedSepulcher(t *testing.T) {
	fake := &systemdfake.Manager{LoadedAt: time.Now().Add(time.Hour), Units: []systemd.Unit{
		{Name: "lychd-pod.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead", PublishedPorts: []string{"127.0.0.1:8080:8000"}},
		{Name: "lychd-coven-vision.target", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", ActiveState: "failed", SubState: "failed", InactiveEnterTimestamp: at("2026-11-25T18:02:03Z")},
	}}
	env := cmdtest.New(t)
	env.WriteCodex(t, "soulstones/all.toml", soulstones)
	env.Bind(t, nil)
	rep := runJSON(t, env, fake)
	var got []string
	for _, u := range rep.Units {
		got = append(got, fmt.Sprintf("%s %s %s/%s %v", u.Unit, u.Kind, u.ActiveState, u.SubState, u.PublishedPorts))
	}
	want := `lychd-pod.service pod inactive/dead [127.0.0.1:8080:8000]
lychd-coven-vision.target coven inactive/dead []
lychd-hold-vision.target hold inactive/dead []
lychd-soulstone-hermes.service soulstone failed/failed []
lychd-soulstone-vana.service soulstone inactive/dead []
lychd-soulstone-vpre.service soulstone inactive/dead []
lychd-soulstone-xtts.service soulstone inactive/dead []`
	if strings.Join(got, "\n") != want {
		t.Errorf("units:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	if calls := strings.Join(fake.Calls, "; "); calls != "list lychd-*; read lychd-pod.service; last-load" {
		t.Errorf("calls = %s", calls)
	}
}

// TestStatusUnitsRemovedOnDisk: a lychd unit systemd still has loaded that
// the bound generation no longer has means a reload is pending.
func TestStatusUnitsRemovedOnDisk(t *testing.T) {
	units := append(running(), systemd.Unit{Name: "lychd-soulstone-gone.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"})
	rep := runJSON(t, sandbox(t), &systemdfake.Manager{Units: units, LoadedAt: loadedAt})
	if !rep.RemovedOnDisk || !rep.NeedDaemonReload {
		t.Errorf("report = %+v", rep)
	}
}

// runJSON runs status --json in env and decodes the report.
func runJSON(t *testing.T, env *cmdtest.Env, fake *systemdfake.Manager) Report {
	t.Helper()
	var rep Report
	if err := json.Unmarshal([]byte(run(t, env, fake, "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestStatusHealth: a soulstone with a health check shows starting while
// systemd's start job waits for the check, then healthy, or unhealthy when
// Podman says so; Podman is asked once. Units without a check show no
// health.
func TestStatusHealth(t *testing.T) {
	units := []systemd.Unit{
		{Name: "lychd-soulstone-vpre.service", LoadState: "loaded", ActiveState: "activating", SubState: "start", HealthCheck: true},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded", ActiveState: "active", SubState: "running", HealthCheck: true},
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", ActiveState: "active", SubState: "running", HealthCheck: true},
		{Name: "lychd-soulstone-xtts.service", LoadState: "loaded", ActiveState: "active", SubState: "running"},
	}
	env := sandbox(t)
	asked := 0
	unhealthy := func(context.Context) (map[string]bool, error) {
		asked++
		return map[string]bool{"lychd-soulstone-hermes": true, "lychd-soulstone-xtts": true}, nil
	}
	out := runWith(t, env, &systemdfake.Manager{Units: units, LoadedAt: loadedAt}, unhealthy)
	golden.Check(t, "testdata/health.golden", []byte(out))
	if asked != 1 {
		t.Errorf("Podman asked %d times, want once", asked)
	}

	// Podman cannot be asked: the active ones are unknown, with a warning.
	env.Err.Reset()
	out = runWith(t, env, &systemdfake.Manager{Units: units, LoadedAt: loadedAt}, func(context.Context) (map[string]bool, error) {
		return nil, fmt.Errorf("asking Podman for unhealthy containers: podman ps: exit status 125: boom")
	}, "--json")
	var rep Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range rep.Units {
		if u.Kind == "soulstone" {
			got = append(got, u.Unit+" "+u.Health)
		}
	}
	want := "lychd-soulstone-hermes.service unknown,lychd-soulstone-vana.service unknown,lychd-soulstone-vpre.service starting,lychd-soulstone-xtts.service "
	if strings.Join(got, ",") != want {
		t.Errorf("health = %q, want %q", strings.Join(got, ","), want)
	}
	if w := "warning: asking Podman for unhealthy containers: podman ps: exit status 125: boom; the health of the running soulstones shows as unknown\n"; env.Err.String() != w {
		t.Errorf("stderr = %q, want %q", env.Err.String(), w)
	}
}

// runWith is run with Podman's answer for unhealthy containers.
func runWith(t *testing.T, env *cmdtest.Env, fake *systemdfake.Manager, unhealthy func(context.Context) (map[string]bool, error), args ...string) string {
	t.Helper()
	env.Out.Reset()
	cmd := NewCmd(env.Factory(), func(ctx context.Context, o *Options) error {
		o.Manager = func(context.Context) (systemd.Manager, error) { return fake, nil }
		o.Location = time.UTC
		o.Unhealthy = unhealthy
		return Run(ctx, o)
	})
	cmd.SetArgs(append([]string{}, args...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	return env.Out.String()
}

// TestStatusWithoutManager: with no reachable user manager, status still
// shows what is bound, each unit's state as unknown, and fails (exit 1)
// saying the manager is unreachable.
func TestStatusWithoutManager(t *testing.T) {
	env := sandbox(t)
	noManager := &systemd.NoManagerError{Socket: "/run/user/1000/systemd/private", PrivateErr: os.ErrNotExist, BusErr: os.ErrNotExist}
	for _, args := range [][]string{{}, {"--json"}} {
		env.Out.Reset()
		cmd := NewCmd(env.Factory(), func(ctx context.Context, o *Options) error {
			o.Manager = func(context.Context) (systemd.Manager, error) { return nil, noManager }
			o.Location = time.UTC
			return Run(ctx, o)
		})
		cmd.SetArgs(args)
		cmd.SilenceErrors, cmd.SilenceUsage = true, true
		err := cmd.Execute()
		want := noManager.Error() + "; the states above are unknown"
		if err == nil || err.Error() != want {
			t.Errorf("status %q: error %v\nwant: %s", args, err, want)
		}
		name := "testdata/no-manager.golden"
		if len(args) > 0 {
			name = "testdata/no-manager-json.golden"
		}
		golden.Check(t, name, env.Out.Bytes())
	}
}
