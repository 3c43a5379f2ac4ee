package realpodman

import (
	"fmt"
	"strings"
	"testing"
)

// TestTestImage checks the test image's behaviours that the lychd proofs do
// not already show: /health and a HealthCmd wait for READY_DELAY, and
// SIGTERM is logged, then the exit after STOP_DELAY.
func TestTestImage(t *testing.T) {
	b := bed(t)
	health := "wget -q -O /dev/null http://127.0.0.1:8081/health"
	for _, c := range []struct {
		name, readyDelay string
		ready            bool
	}{{"ready", "0", true}, {"unready", "3600", false}} {
		b.MustUser(t, "podman", "run", "-d", "--name", c.name, "--health-cmd", health,
			"-e", "NAME="+c.name, "-e", "READY_DELAY="+c.readyDelay, "-e", "STOP_DELAY=1", Image)
		eventually(t, pageWait, c.name+" serves its page", func() (bool, string) {
			out, errOut, err := b.User(t, "podman", "exec", c.name, "wget", "-q", "-O", "-", "http://127.0.0.1:8081/")
			return err == nil && out == "hello from "+c.name+"\n", fmt.Sprintf("%q %v %s", out, err, errOut)
		})
		// The page is served after READY_DELAY started: with 0, /health
		// exists a moment later; with an hour, it cannot in this test.
		var err error
		if c.ready {
			eventually(t, pageWait, c.name+" healthy", func() (bool, string) {
				_, errOut, err := b.User(t, "podman", "healthcheck", "run", c.name)
				return err == nil, fmt.Sprintf("%v %s", err, errOut)
			})
		} else {
			_, _, err = b.User(t, "podman", "healthcheck", "run", c.name)
		}
		if (err == nil) != c.ready {
			t.Errorf("%s (READY_DELAY=%s): podman healthcheck run: %v, want healthy=%v", c.name, c.readyDelay, err, c.ready)
		}
	}
	b.MustUser(t, "podman", "stop", "--time", "30", "ready")
	logs := b.MustUser(t, "podman", "logs", "ready")
	want := "ready: SIGTERM received, exiting in 1s\nready: exiting\n"
	if !strings.HasSuffix(logs, want) {
		t.Errorf("logs of a stopped container end:\n%s\nwant the end:\n%s", logs, want)
	}
	if !strings.HasPrefix(logs, "ready: started: name=ready uid=0 gid=0 nvidia-fake=absent FAKE_GPU= \n") {
		t.Errorf("logs begin:\n%s", logs)
	}
}
