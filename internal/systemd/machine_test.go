package systemd

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/e2e"
)

// insideEnv marks the run of this test binary inside the machine.
const insideEnv = "LYCHD_SYSTEMD_TEST_INSIDE"

// TestClientInMachine boots a machine, mounts this test binary into it and
// runs TestClientInMachine there against root's real user manager (the
// manager's private socket is only reachable from inside).
func TestClientInMachine(t *testing.T) {
	if os.Getenv(insideEnv) == "1" {
		inside(t)
		return
	}
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	m := e2e.Boot(t, e2e.Options{Binds: []e2e.Bind{{Host: exe, Machine: "/mnt/bin/systemd.test", ReadOnly: true}}})
	m.WriteFile(t, e2e.QuadletUnitDir+"/lychd.pod", "[Pod]\nPodName=lychd\nPublishPort=8080:8080\n")
	m.WriteFile(t, e2e.QuadletUnitDir+"/lychd-soulstone-a.container",
		"[Unit]\nConflicts=lychd-soulstone-b.service\n[Container]\nImage=example.invalid/a\nPod=lychd.pod\nStartWithPod=false\n")
	m.WriteFile(t, e2e.QuadletUnitDir+"/lychd-soulstone-b.container",
		"[Unit]\nConflicts=lychd-soulstone-a.service\nAfter=lychd-soulstone-a.service\n[Container]\nImage=example.invalid/b\nPod=lychd.pod\nStartWithPod=false\n")
	out, errOut, err := m.UserRun(t, "env", insideEnv+"=1", "/mnt/bin/systemd.test", "-test.run=^TestClientInMachine$", "-test.v", "-test.count=1")
	t.Logf("inside the machine:\n%s%s", out, errOut)
	if err != nil || !strings.Contains(out, "--- PASS: TestClientInMachine") {
		t.Fatalf("the in-machine test failed: %v", err)
	}
}

func inside(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Connect(ctx, os.Getenv("XDG_RUNTIME_DIR"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	// The units were written after the last reload: Reload runs Quadlet.
	t0 := time.Now()
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("Reload: %v", time.Since(t0))
	units, err := c.ListUnits(ctx, nil, "lychd-*")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	byName := map[string]Unit{}
	for _, u := range units {
		names = append(names, u.Name)
		byName[u.Name] = u
	}
	if got := strings.Join(names, " "); got != "lychd-pod.service lychd-soulstone-a.service lychd-soulstone-b.service" {
		t.Fatalf("ListUnits = %s", got)
	}
	// Inactive units come with their states only (reading them would load
	// the graph); ReadUnit reads one.
	if a := byName["lychd-soulstone-a.service"]; a.LoadState != "loaded" || a.ActiveState != "inactive" || a.SubState != "dead" || a.Conflicts != nil || a.SourcePath != "" {
		t.Errorf("listed unit a = %+v, want its states only", a)
	}
	a, err := c.ReadUnit(ctx, "lychd-soulstone-a.service")
	if err != nil {
		t.Fatal(err)
	}
	if a.LoadState != "loaded" || a.ActiveState != "inactive" || a.SubState != "dead" || strings.Join(a.Conflicts, " ") != "lychd-soulstone-b.service shutdown.target" ||
		a.SourcePath != "/root/.config/containers/systemd/lychd-soulstone-a.container" || a.NeedDaemonReload || !a.ActiveEnterTimestamp.IsZero() {
		t.Errorf("unit a = %+v", a)
	}
	if p, err := c.ReadUnit(ctx, "lychd-pod.service"); err != nil || strings.Join(p.PublishedPorts, " ") != "8080:8080" {
		t.Errorf("pod published ports = %v (%v)", p.PublishedPorts, err)
	}

	var events []string
	record := func(j Job) {
		events = append(events, fmt.Sprintf("%s %s %q requested=%v", j.Unit, j.Type, j.Result, j.Requested))
	}
	if _, err := c.Start(ctx, []string{"lychd-soulstone-a.service"}, nil); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	jobs, err := c.Start(ctx, []string{"lychd-soulstone-b.service"}, record)
	if err != nil {
		t.Fatal(err)
	}
	var final []string
	for _, j := range jobs {
		final = append(final, fmt.Sprintf("%s %s %s requested=%v", j.Unit, j.Type, j.Result, j.Requested))
	}
	sort.Strings(final)
	if got, want := strings.Join(final, "\n"), "lychd-soulstone-a.service stop done requested=false\nlychd-soulstone-b.service start done requested=true"; got != want {
		t.Errorf("jobs:\n%s\nwant:\n%s", got, want)
	}
	sort.Strings(events)
	want := `lychd-soulstone-a.service stop "" requested=false
lychd-soulstone-a.service stop "done" requested=false
lychd-soulstone-b.service start "" requested=true
lychd-soulstone-b.service start "done" requested=true`
	if got := strings.Join(events, "\n"); got != want {
		t.Errorf("progress:\n%s\nwant:\n%s", got, want)
	}

	units, err = c.ListUnits(ctx, nil, "lychd-soulstone-*")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		want := map[string]string{"lychd-soulstone-a.service": "inactive", "lychd-soulstone-b.service": "active"}[u.Name]
		if u.ActiveState != want {
			t.Errorf("%s is %s, want %s", u.Name, u.ActiveState, want)
		}
		if u.Name == "lychd-soulstone-b.service" && u.ActiveEnterTimestamp.Before(before.Add(-time.Second)) {
			t.Errorf("b became active at %v, before the start at %v", u.ActiveEnterTimestamp, before)
		}
	}

	// A changed source file makes the unit ask for a reload.
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes("/root/.config/containers/systemd/lychd-soulstone-b.container", future, future); err != nil {
		t.Fatal(err)
	}
	units, err = c.ListUnits(ctx, nil, "lychd-soulstone-b.service")
	if err != nil || len(units) != 1 || !units[0].NeedDaemonReload {
		t.Errorf("after touching b's source: %+v, %v; want NeedDaemonReload", units, err)
	}

	jobs, err = c.Stop(ctx, []string{"lychd-soulstone-b.service", "lychd-pod.service"}, nil)
	if err != nil || len(jobs) != 2 || !jobs[0].Done() || !jobs[1].Done() {
		t.Errorf("Stop = %+v, %v", jobs, err)
	}
}
