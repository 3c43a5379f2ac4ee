package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Events the stub podman logs.
const (
	// EventCall is logged at the start of every invocation, with its argv.
	EventCall = "call"
	// EventStarted: a container is ready, or a pod's infra process runs.
	EventStarted = "started"
	// EventStopping: a container or pod infra received SIGTERM.
	EventStopping = "stopping"
	// EventStopped: it is about to exit.
	EventStopped = "stopped"
	// EventFailed: run refused to start (LYCHD_STUB_PODMAN_FAIL).
	EventFailed = "failed"
)

// PodmanCall is one line of the stub podman's log.
type PodmanCall struct {
	// NS is the wall-clock time in Unix nanoseconds.
	NS int64 `json:"ns"`
	// PID is the stub process.
	PID int `json:"pid"`
	// Unit is the systemd unit the stub ran for (PODMAN_SYSTEMD_UNIT);
	// empty outside Quadlet services.
	Unit string `json:"unit"`
	// Event is one of the Event constants.
	Event string `json:"event"`
	// Argv is the full command line, for EventCall only.
	Argv []string `json:"argv,omitempty"`
}

// String renders the call for test failure messages.
func (c PodmanCall) String() string {
	s := fmt.Sprintf("%d pid=%d %s %s", c.NS, c.PID, c.Unit, c.Event)
	if len(c.Argv) > 0 {
		s += " " + strings.Join(c.Argv, " ")
	}
	return s
}

// PodmanLogPath is the host path of the stub podman's log.
func (m *Machine) PodmanLogPath() string { return filepath.Join(m.LogDir, "podman.log") }

// PodmanLog parses the stub podman's log so far, in file order. A missing
// log is an empty one.
func (m *Machine) PodmanLog(t testing.TB) []PodmanCall {
	t.Helper()
	calls, err := ParsePodmanLog(m.PodmanLogPath())
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	return calls
}

// ParsePodmanLog reads a stub podman log file.
func ParsePodmanLog(path string) ([]PodmanCall, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var calls []PodmanCall
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for n := 1; sc.Scan(); n++ {
		var c PodmanCall
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("stub podman log %s:%d: %w", path, n, err)
		}
		calls = append(calls, c)
	}
	return calls, sc.Err()
}

// Lifetime is one run of a container as the stub saw it.
type Lifetime struct {
	Unit string
	PID  int
	// Call is when `podman run` began: from here the container holds its
	// resources.
	Call int64
	// Started, Stopping and Stopped are 0 when the event did not happen;
	// Stopped is also when a run that failed to start exited.
	Started, Stopping, Stopped int64
}

// Lifetimes groups the log's `podman run` processes by pid, in start order.
func Lifetimes(calls []PodmanCall) []Lifetime {
	var out []Lifetime
	idx := map[int]int{}
	for _, c := range calls {
		i, ok := idx[c.PID]
		if !ok {
			if c.Event != EventCall || len(c.Argv) < 2 || c.Argv[1] != "run" {
				continue
			}
			idx[c.PID] = len(out)
			out = append(out, Lifetime{Unit: c.Unit, PID: c.PID, Call: c.NS})
			continue
		}
		switch c.Event {
		case EventStarted:
			out[i].Started = c.NS
		case EventStopping:
			out[i].Stopping = c.NS
		case EventStopped, EventFailed:
			// A run that refused to start exited at once.
			out[i].Stopped = c.NS
		}
	}
	return out
}

// Overlaps returns a description of every pair of runs of units a and b
// whose lifetimes overlap (one began before the other had stopped), an empty
// slice when they never ran at the same time. A run still alive counts as
// running until the end of the log.
func Overlaps(calls []PodmanCall, a, b string) []string {
	var out []string
	lt := Lifetimes(calls)
	end := func(l Lifetime) int64 {
		if l.Stopped == 0 {
			return 1<<63 - 1
		}
		return l.Stopped
	}
	for _, x := range lt {
		if x.Unit != a {
			continue
		}
		for _, y := range lt {
			if y.Unit != b || y.PID == x.PID {
				continue
			}
			if x.Call < end(y) && y.Call < end(x) {
				out = append(out, fmt.Sprintf("%s (pid %d) and %s (pid %d) overlap", a, x.PID, b, y.PID))
			}
		}
	}
	return out
}

// lockedBuffer collects nspawn's output from its goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
