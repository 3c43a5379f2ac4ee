package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLifetimesAndOverlaps(t *testing.T) {
	call := func(ns int64, pid int, unit string) PodmanCall {
		return PodmanCall{NS: ns, PID: pid, Unit: unit, Event: EventCall, Argv: []string{"/usr/bin/podman", "run", "img"}}
	}
	ev := func(ns int64, pid int, unit, e string) PodmanCall {
		return PodmanCall{NS: ns, PID: pid, Unit: unit, Event: e}
	}
	log := []PodmanCall{
		call(10, 1, "a.service"), ev(11, 1, "a.service", EventStarted),
		{NS: 12, PID: 9, Unit: "a.service", Event: EventCall, Argv: []string{"/usr/bin/podman", "rm", "--cidfile=x"}},
		ev(13, 1, "a.service", EventStopping), ev(20, 1, "a.service", EventStopped),
		call(21, 2, "b.service"), ev(22, 2, "b.service", EventStarted),
		call(25, 3, "c.service"), // c still running at the end of the log
		ev(30, 2, "b.service", EventStopping), ev(31, 2, "b.service", EventStopped),
		call(30, 4, "a.service"), // a started before b had stopped
	}
	lt := Lifetimes(log)
	if len(lt) != 4 || lt[0] != (Lifetime{Unit: "a.service", PID: 1, Call: 10, Started: 11, Stopping: 13, Stopped: 20}) {
		t.Fatalf("Lifetimes = %+v", lt)
	}
	if o := Overlaps(log, "a.service", "b.service"); strings.Join(o, ";") != "a.service (pid 4) and b.service (pid 2) overlap" {
		t.Errorf("Overlaps(a, b) = %v", o)
	}
	if o := Overlaps(log, "b.service", "c.service"); len(o) != 1 {
		t.Errorf("Overlaps(b, c) = %v, want the still-running c to overlap b", o)
	}
	if o := Overlaps(log, "a.service", "a.service"); len(o) != 0 {
		t.Errorf("a unit's runs did not overlap each other: %v", o)
	}
}

func TestParsePodmanLog(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "podman.log")
	if calls, err := ParsePodmanLog(p); err != nil || calls != nil {
		t.Fatalf("missing log: %v %v", calls, err)
	}
	os.WriteFile(p, []byte(`{"ns":5,"pid":7,"unit":"a.service","event":"call","argv":["podman","run"]}`+"\n"+"garbage\n"), 0o644)
	if _, err := ParsePodmanLog(p); err == nil || !strings.Contains(err.Error(), "podman.log:2") {
		t.Errorf("err = %v, want the bad line named", err)
	}
}

// TestStubPodmanOnHost plays a container's and a pod's life with the stub on
// the host (no systemd: sd_notify is a no-op without NOTIFY_SOCKET).
func TestStubPodmanOnHost(t *testing.T) {
	stub := shared(t).StubPodman
	dir := t.TempDir()
	logPath := filepath.Join(dir, "podman.log")
	env := append(os.Environ(), "LYCHD_STUB_PODMAN_LOG="+logPath, "LYCHD_STUB_PODMAN_STOP_DELAY=50ms", "PODMAN_SYSTEMD_UNIT=x.service")
	stub1 := func(args ...string) *exec.Cmd {
		c := exec.Command(stub, args...)
		c.Env = env
		return c
	}
	cid := filepath.Join(dir, "x.cid")
	run := stub1("run", "--name", "systemd-x", "--cidfile="+cid, "--replace", "-d", "img")
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		b, _ := os.ReadFile(cid)
		return strings.TrimSpace(string(b)) == strconv.Itoa(run.Process.Pid)
	})
	if out, err := stub1("rm", "-v", "-f", "-i", "--cidfile="+cid).CombinedOutput(); err != nil {
		t.Fatalf("rm: %v %s", err, out)
	}
	if err := run.Wait(); err != nil {
		t.Fatalf("run exited with %v, want 0 after SIGTERM", err)
	}

	podID := filepath.Join(dir, "pod.pod-id")
	pidFile := filepath.Join(dir, "pod.pid")
	for _, args := range [][]string{
		{"pod", "create", "--infra-conmon-pidfile=" + pidFile, "--pod-id-file=" + podID, "--name", "lychd"},
		{"pod", "start", "--pod-id-file=" + podID},
	} {
		if out, err := stub1(args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("pod start wrote no pid file: %v", err)
	}
	infra, _ := strconv.Atoi(string(b))
	for _, args := range [][]string{
		{"pod", "stop", "--pod-id-file=" + podID, "--ignore", "--time=10"},
		{"pod", "rm", "--pod-id-file=" + podID, "--ignore", "--force"},
	} {
		if out, err := stub1(args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v %s", args, err, out)
		}
	}
	if alive(infra) {
		t.Errorf("pod infra %d still alive after pod stop", infra)
	}
	if _, err := os.Stat(podID); !os.IsNotExist(err) {
		t.Errorf("pod rm left %s", podID)
	}

	var events []string
	calls, err := ParsePodmanLog(logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		e := c.Event
		if c.Event == EventCall {
			e += " " + c.Argv[1]
		}
		events = append(events, e)
	}
	want := "call run, started, call rm, stopping, stopped, call pod, call pod, started, call pod, stopping, stopped, call pod"
	if got := strings.Join(events, ", "); got != want {
		t.Errorf("events:\n%s\nwant:\n%s", got, want)
	}
}

func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}
