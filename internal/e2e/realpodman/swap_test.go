package realpodman

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// swapSoulstones are the soulstones of swapCodex: name -> covens ("" for
// a coven of one named after the soulstone). Alliance: beta with gamma.
// Compatible (some coven of one equals or is allied with some coven of the
// other): the members of alpha; bridge with everyone but delta; b1 with
// g1; delta with no one.
var swapSoulstones = []struct{ name, covens string }{
	{"a1", `"alpha"`},
	{"a2", `"alpha"`},
	{"bridge", `"alpha", "beta"`},
	{"b1", `"beta"`},
	{"g1", `"gamma"`},
	{"delta", ``},
}

// stopDelay is every swap soulstone's delay between SIGTERM and exit.
const stopDelay = "2"

// swapBed binds swapCodex on b: the core runes and swapSoulstones, each
// serving its name on its own port, published on a free host port that the
// returned map gives by soulstone.
func swapBed(t testing.TB, b *Bed) (corePorts, map[string]int) {
	t.Helper()
	soulPorts := make([]int, len(swapSoulstones))
	extra := make([]*int, len(soulPorts))
	for i := range soulPorts {
		extra[i] = &soulPorts[i]
	}
	ports := freeCorePorts(t, extra...)
	hostPorts := map[string]int{}
	var soul strings.Builder
	for i, s := range swapSoulstones {
		hostPorts[s.name] = soulPorts[i]
		groups := ""
		if s.covens != "" {
			groups = fmt.Sprintf("groups = [%s]\n", s.covens)
		}
		fmt.Fprintf(&soul, `[%s]
image = %q
%sport = %d
expose_port = true
host_port = %d
environment = { NAME = %q, PORT = "%d", STOP_DELAY = %q }

`, s.name, Image, groups, 8200+i, hostPorts[s.name], s.name, 8200+i, stopDelay)
	}
	b.WriteCodex(t, map[string]string{
		"lychd.toml":           lychdToml(ports, `alliances = [["beta", "gamma"]]`+"\n"),
		"soulstones/swap.toml": soul.String(),
	})
	lychdInit(t, b)
	b.MustLychd(t, "bind")
	return ports, hostPorts
}

// soulstonePrefix begins the container name of every soulstone.
const soulstonePrefix = "lychd-soulstone-"

// runningSoulstones returns the names of the running soulstones.
func runningSoulstones(cs []Container) []string {
	var names []string
	for _, n := range Running(cs) {
		if s, ok := strings.CutPrefix(n, soulstonePrefix); ok {
			names = append(names, s)
		}
	}
	return names
}

// swap runs do (a start) and checks the Law of Exclusivity on what it did:
// afterwards exactly want (soulstone names) run, each answering on its
// published port; every soulstone container that stopped died, by Podman's
// events, before any new one was created; and the pod's infra container is
// the same running container as before.
func swap(t *testing.T, b *Bed, hostPorts map[string]int, want []string, do func() error) {
	t.Helper()
	before := b.Containers(t)
	infra, ok := ByName(before, "lychd-infra")
	if !ok {
		t.Fatal("no lychd-infra container before the swap")
	}
	since := time.Now()
	start := time.Now()
	if err := do(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	after := b.Containers(t)
	want = slices.Sorted(slices.Values(want))
	got := runningSoulstones(after)
	if !slices.Equal(got, want) {
		t.Fatalf("running soulstones = %v, want %v", got, want)
	}
	if now, ok := ByName(after, "lychd-infra"); !ok || now.ID != infra.ID || now.Status != "running" {
		t.Fatalf("the pod's infra container changed or stopped: before %.12s running, after %+v", infra.ID, now)
	}

	wasRunning := map[string]bool{}
	for _, c := range before {
		if c.Status == "running" {
			wasRunning[c.ID] = true
		}
	}
	isRunning := map[string]bool{}
	var created []Container
	for _, c := range after {
		if c.Status != "running" {
			continue
		}
		isRunning[c.ID] = true
		if !wasRunning[c.ID] {
			created = append(created, c)
		}
	}
	var displaced []Container
	for _, c := range before {
		if c.Status == "running" && !isRunning[c.ID] {
			displaced = append(displaced, c)
		}
	}
	events := b.Events(t, since, "type=container")
	var lastDied, firstCreate time.Time
	for _, c := range displaced {
		e, ok := Find(events, "container", "died", c.ID)
		if !ok {
			t.Fatalf("%s stopped but Podman recorded no died event for it:\n%s", c.Name, dumpEvents(events))
		}
		if e.Time.After(lastDied) {
			lastDied = e.Time
		}
	}
	for _, c := range created {
		e, ok := Find(events, "container", "create", c.ID)
		if !ok {
			t.Fatalf("%s started but Podman recorded no create event for it:\n%s", c.Name, dumpEvents(events))
		}
		if firstCreate.IsZero() || e.Time.Before(firstCreate) {
			firstCreate = e.Time
		}
	}
	if len(displaced) > 0 && len(created) > 0 && !lastDied.Before(firstCreate) {
		t.Fatalf("a new container was created (%s) before every displaced one had died (last %s):\n%s",
			firstCreate.Format("15:04:05.000000"), lastDied.Format("15:04:05.000000"), dumpEvents(events))
	}
	gap := ""
	if len(displaced) > 0 && len(created) > 0 {
		gap = fmt.Sprintf(", last death %v before first create", firstCreate.Sub(lastDied).Round(time.Millisecond))
	}
	t.Logf("-> %v in %v (displaced %d, created %d%s)", want, took.Round(time.Millisecond), len(displaced), len(created), gap)
	for _, s := range want {
		WaitPage(t, hostPorts[s], "/", "hello from "+s+"\n", pageWait)
	}
}

func dumpEvents(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}

func lychdStart(t *testing.T, b *Bed, names ...string) func() error {
	return func() error {
		out, errOut, err := b.Lychd(t, append([]string{"start"}, names...)...)
		if err != nil {
			return fmt.Errorf("lychd start %s: %w\nstdout:\n%s\nstderr:\n%s", strings.Join(names, " "), err, out, errOut)
		}
		return nil
	}
}

// TestCovenSwaps swaps covens and soulstones with lychd start, with the
// core runes running: after every swap only compatible soulstones run,
// everything displaced died before anything new was created, and the pod
// and the Vessel's published port stay up throughout (a prober fetches
// the Vessel's page every 50 ms during the swaps).
func TestCovenSwaps(t *testing.T) {
	b := bed(t)
	ports, hostPorts := swapBed(t, b)
	if err := lychdStart(t, b, "delta")(); err != nil {
		t.Fatal(err)
	}
	WaitPage(t, ports.vessel, "/", "hello from vessel\n", pageWait)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var probes int
	var failures []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			got, err := Page(context.Background(), ports.vessel, "/")
			probes++
			if err != nil || got != "hello from vessel\n" {
				failures = append(failures, fmt.Sprintf("%s: %q %v", time.Now().Format("15:04:05.000"), got, err))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()

	steps := []struct {
		start []string
		want  []string
	}{
		{[]string{"alpha"}, []string{"a1", "a2", "bridge"}},
		{[]string{"beta"}, []string{"b1", "bridge"}},
		{[]string{"gamma"}, []string{"b1", "bridge", "g1"}},
		{[]string{"alpha"}, []string{"a1", "a2", "bridge"}},
		{[]string{"g1"}, []string{"bridge", "g1"}},
		{[]string{"delta"}, []string{"delta"}},
		{[]string{"beta", "gamma"}, []string{"b1", "bridge", "g1"}},
	}
	for _, s := range steps {
		t.Logf("lychd start %s", strings.Join(s.start, " "))
		swap(t, b, hostPorts, s.want, lychdStart(t, b, s.start...))
	}
	cancel()
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("the Vessel's published port failed %d of %d probes during the swaps:\n%s", len(failures), probes, strings.Join(failures, "\n"))
	}
	t.Logf("the Vessel answered %d probes during the swaps", probes)
}

// TestSwapsInEmptiedPod swaps with the core runes stopped, so that each
// swap that displaces every soulstone leaves the pod without a running
// member until the replacement starts. Quadlet creates pods with
// --exit-policy=stop, which would stop the pod (and its ports) at that
// moment and fail the replacement's start; lychd.pod overrides it.
func TestSwapsInEmptiedPod(t *testing.T) {
	b := bed(t)
	_, hostPorts := swapBed(t, b)
	if err := lychdStart(t, b, "delta")(); err != nil {
		t.Fatal(err)
	}
	b.Systemctl(t, "stop", "lychd-vessel.service", "lychd-phylactery.service", "lychd-oculus.service")
	swap(t, b, hostPorts, []string{"a1", "a2", "bridge"}, lychdStart(t, b, "alpha"))
	swap(t, b, hostPorts, []string{"delta"}, lychdStart(t, b, "delta"))
	swap(t, b, hostPorts, []string{"g1"}, lychdStart(t, b, "g1"))
	if u := b.Units(t, "lychd-pod.service")["lychd-pod.service"]; u.ActiveState != "active" {
		t.Errorf("lychd-pod.service is %s/%s, want active", u.ActiveState, u.SubState)
	}
}

// TestRogueStart starts a hostile soulstone's unit with systemctl, as a
// user (or another program) might, bypassing lychd: systemd enforces the
// same law.
func TestRogueStart(t *testing.T) {
	b := bed(t)
	_, hostPorts := swapBed(t, b)
	if err := lychdStart(t, b, "alpha")(); err != nil {
		t.Fatal(err)
	}
	swap(t, b, hostPorts, []string{"delta"}, func() error {
		_, errOut, err := b.User(t, "systemctl", "--user", "start", "lychd-soulstone-delta.service")
		if err != nil {
			return fmt.Errorf("systemctl --user start lychd-soulstone-delta.service: %w\n%s", err, errOut)
		}
		return nil
	})
	swap(t, b, hostPorts, []string{"b1", "bridge"}, func() error {
		_, errOut, err := b.User(t, "systemctl", "--user", "start", "lychd-coven-beta.target")
		if err != nil {
			return fmt.Errorf("systemctl --user start lychd-coven-beta.target: %w\n%s", err, errOut)
		}
		return nil
	})
}
