package realpodman

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/sdk/preset"
)

// readyDelay is how long the readiness soulstones' /health takes to exist
// after they start (the test image's READY_DELAY).
const readyDelay = 3 * time.Second

// maxReadyLatency is how long after a soulstone's /health answers `lychd
// start` may return: the startup health check runs every second, then
// the regular check once, then Podman notifies systemd.
const maxReadyLatency = 4 * time.Second

// readySoulstones are the soulstones of readyBed: h alone, s1 and s2 in
// the coven slow (hostile to h), and late, whose /health comes long after
// its start timeout. Each gets a health check on /health.
var readySoulstones = []struct {
	name, extra string
	port        int
	delay       time.Duration
}{
	{"h", "", 8310, readyDelay},
	{"s1", `groups = ["slow"]` + "\n", 8311, readyDelay},
	{"s2", `groups = ["slow"]` + "\n", 8312, readyDelay},
	{"late", "start_timeout_seconds = 3\n", 8313, time.Minute},
}

// readyBed binds the core runes and readySoulstones. Their health checks
// are the Codex's: health_cmd runs wget on the test image's /health, with
// the default interval (10 s), so readiness found within a second comes
// from the startup check lychd writes beside it.
func readyBed(t *testing.T, b *Bed) {
	t.Helper()
	var soul strings.Builder
	for _, s := range readySoulstones {
		fmt.Fprintf(&soul, "[%s]\nimage = %q\n%shealth_cmd = [\"wget\", \"-q\", \"-O\", \"/dev/null\", \"http://127.0.0.1:%d/health\"]\nenvironment = { NAME = %q, PORT = \"%d\", READY_DELAY = \"%d\" }\n\n",
			s.name, Image, s.extra, s.port, s.name, s.port, int(s.delay/time.Second))
	}
	b.WriteCodex(t, map[string]string{
		"lychd.toml":            lychdToml(freeCorePorts(t), ""),
		"soulstones/ready.toml": soul.String(),
	})
	lychdInit(t, b)
	b.MustLychd(t, "bind")
}

// healthyAt returns when Podman first recorded the container healthy
// since since, failing the test when it did not.
func healthyAt(t *testing.T, events []Event, container string) time.Time {
	t.Helper()
	for _, e := range events {
		if e.Type == "container" && e.Status == "health_status" && e.Name == container && e.HealthStatus == "healthy" {
			return e.Time
		}
	}
	t.Fatalf("Podman recorded no healthy health_status event for %s:\n%s", container, dumpEvents(events))
	return time.Time{}
}

// startedAt returns when Podman last started the container.
func startedAt(t *testing.T, events []Event, container string) time.Time {
	t.Helper()
	var at time.Time
	for _, e := range events {
		if e.Type == "container" && e.Status == "start" && e.Name == container {
			at = e.Time
		}
	}
	if at.IsZero() {
		t.Fatalf("Podman recorded no start event for %s:\n%s", container, dumpEvents(events))
	}
	return at
}

// statusHealth returns `lychd status --json`'s active state and health of
// a soulstone.
func statusHealth(t *testing.T, b *Bed, name string) (state, health string) {
	t.Helper()
	var rep struct {
		Units []struct {
			Unit        string `json:"unit"`
			ActiveState string `json:"active_state"`
			Health      string `json:"health"`
		} `json:"units"`
	}
	if err := json.Unmarshal([]byte(b.MustLychd(t, "status", "--json")), &rep); err != nil {
		t.Fatal(err)
	}
	for _, u := range rep.Units {
		if u.Unit == "lychd-soulstone-"+name+".service" {
			return u.ActiveState, u.Health
		}
	}
	t.Fatalf("lychd status --json has no unit for soulstone %s", name)
	return "", ""
}

// TestStartWaitsUntilHealthy proves on real containers that "started"
// means "ready" for a soulstone with a health check: `lychd start` of a
// soulstone and of a coven returns after Podman recorded each container
// healthy (its /health answers readyDelay after its start), not before,
// and within maxReadyLatency of /health answering although the Codex's
// health_cmd is checked every 10 s (the startup check runs every second
// until it passes; then only the regular check's timer is left);
// `lychd start --no-wait` returns at once and `lychd status` shows the
// soulstone starting, then healthy, and unhealthy once its check fails
// (systemd still has it active); a soulstone that is not healthy within
// its start_timeout_seconds fails the start with the reason and its last
// journal lines, without waiting for it longer.
func TestStartWaitsUntilHealthy(t *testing.T) {
	b := bed(t)
	readyBed(t, b)

	check := func(what string, since, returned time.Time, names ...string) {
		t.Helper()
		events := b.Events(t, since, "type=container")
		for _, n := range names {
			c := "lychd-soulstone-" + n
			started, healthy := startedAt(t, events, c), healthyAt(t, events, c)
			if healthy.Sub(started) < readyDelay {
				t.Fatalf("%s: %s healthy %v after its start, before its /health existed", what, c, healthy.Sub(started))
			}
			if !returned.After(healthy) {
				t.Fatalf("%s returned at %s, before %s was healthy at %s", what, returned.Format("15:04:05.000"), c, healthy.Format("15:04:05.000"))
			}
			// /health answers readyDelay after the start at the earliest:
			// the startup check, every second, finds it within about one.
			answered := started.Add(readyDelay)
			if late := returned.Sub(answered); late > maxReadyLatency {
				t.Errorf("%s returned %v after %s's /health answered (at the earliest), more than %v", what, late.Round(time.Millisecond), c, maxReadyLatency)
			}
			t.Logf("%s: %s started %s, healthy %v later; lychd returned %v after that, %v after /health answered",
				what, c, started.Format("15:04:05.000"), healthy.Sub(started).Round(time.Millisecond), returned.Sub(healthy).Round(time.Millisecond), returned.Sub(answered).Round(time.Millisecond))
		}
		t.Logf("%s: %v to ready", what, returned.Sub(since).Round(time.Millisecond))
	}

	since := time.Now()
	b.MustLychd(t, "start", "h")
	check("lychd start h", since, time.Now(), "h")

	// Once the startup check passed, Podman keeps only the regular check's
	// timer, at the Codex's interval.
	id := strings.TrimSpace(b.MustUser(t, "podman", "inspect", "--format", "{{.Id}}", "lychd-soulstone-h"))
	eventually(t, 10*time.Second, "h's health check timers are the regular one alone", func() (bool, string) {
		timers := strings.Fields(b.Systemctl(t, "list-units", "--all", "--type=timer", "--plain", "--no-legend", "--full", id+"*"))
		var names []string
		for _, w := range timers {
			if strings.HasSuffix(w, ".timer") {
				names = append(names, w)
			}
		}
		if len(names) != 1 || strings.Contains(names[0], "-startup") {
			return false, strings.Join(names, " ")
		}
		got := b.Systemctl(t, "show", "--property=TimersMonotonic", names[0])
		want := fmt.Sprintf("OnUnitInactiveUSec=%ds", preset.DefaultHealthInterval)
		return strings.Contains(got, want), names[0] + ": " + got
	})

	// A swap to ready: h displaced (no stop delay), the coven's two
	// members started side by side, each to healthy.
	since = time.Now()
	b.MustLychd(t, "start", "slow")
	check("lychd start slow (displacing h)", since, time.Now(), "s1", "s2")

	since = time.Now()
	out := b.MustLychd(t, "start", "--no-wait", "h")
	if !strings.HasSuffix(out, "queued; lychd did not wait for the jobs (follow them with: lychd status)\n") {
		t.Fatalf("lychd start --no-wait h said:\n%s", out)
	}
	if returned := time.Since(since); returned >= readyDelay {
		t.Fatalf("lychd start --no-wait took %v, as long as h's readiness", returned)
	}
	var seen []string
	eventually(t, 30*time.Second, "lychd status shows h starting, then healthy", func() (bool, string) {
		state, health := statusHealth(t, b, "h")
		if s := state + "/" + health; len(seen) == 0 || seen[len(seen)-1] != s {
			seen = append(seen, s)
		}
		return health == "healthy", strings.Join(seen, " -> ")
	})
	if !strings.Contains(strings.Join(seen, " "), "activating/starting") {
		t.Errorf("lychd status never showed h starting: %s", strings.Join(seen, " -> "))
	}
	t.Logf("lychd status after lychd start --no-wait h: %s", strings.Join(seen, " -> "))

	// A check that fails after the start: systemd still says active,
	// Podman says unhealthy, and so does lychd status.
	// The regular check runs every 10 s: rather than wait for its failures,
	// run it as often as it may fail before Podman calls h unhealthy.
	b.MustUser(t, "podman", "exec", "lychd-soulstone-h", "rm", "/tmp/www/health")
	for range preset.DefaultHealthRetries {
		if out, _, err := b.User(t, "podman", "healthcheck", "run", "lychd-soulstone-h"); err == nil {
			t.Fatalf("h's health check passed without /health: %s", out)
		}
	}
	eventually(t, 30*time.Second, "lychd status shows h unhealthy", func() (bool, string) {
		state, health := statusHealth(t, b, "h")
		return state == "active" && health == "unhealthy", state + "/" + health
	})

	since = time.Now()
	_, errOut, err := b.Lychd(t, "start", "late")
	took := time.Since(since)
	if err == nil {
		t.Fatal("lychd start late succeeded; its /health comes a minute after its start timeout of 3 s")
	}
	// systemd 257 fails the start job at the timeout, then Restart=
	// restarts the unit (had it kept the job queued across the restart,
	// lychd would have given up at the first restart).
	for _, want := range []string{
		"lychd: start failed for lychd-soulstone-late.service; see: journalctl --user -u lychd-soulstone-late.service\n",
		"\nlychd-soulstone-late.service was not ready within its start timeout of 3 s (start_timeout_seconds); systemd restarts it until it is stopped (lychd stop late); its last journal lines:\n  ",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("lychd start late: stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, lines, _ := strings.Cut(errOut, "its last journal lines:\n"); !strings.Contains(lines, "lychd-soulstone-late") {
		t.Errorf("lychd start late: no journal line of the unit:\n%s", errOut)
	}
	if took > 20*time.Second {
		t.Errorf("lychd start late took %v to give up on a start timeout of 3 s", took)
	}
	t.Logf("lychd start late failed after %v:\n%s", took.Round(time.Millisecond), errOut)
	b.MustLychd(t, "stop", "late")
}
