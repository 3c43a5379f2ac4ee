package systemd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestJobLine(t *testing.T) {
	for _, tc := range []struct {
		job  Job
		want string
	}{
		{Job{Unit: "a.service", Type: "start"}, "starting a.service"},
		{Job{Unit: "a.service", Type: "start", Result: ResultDone}, "started a.service"},
		{Job{Unit: "a.service", Type: "stop"}, "stopping a.service"},
		{Job{Unit: "a.service", Type: "stop", Result: ResultDone}, "stopped a.service"},
		{Job{Unit: "a.service", Type: "start", Result: ResultFailed}, "failed to start a.service (result: failed)"},
		{Job{Unit: "a.service", Type: "stop", Result: ResultTimeout}, "failed to stop a.service (result: timeout)"},
		{Job{Unit: "a.service", Type: "start", Result: ResultSkipped}, "skipped start a.service (condition not met)"},
		{Job{Unit: "a.service", Type: "verify-active"}, "running verify-active job for a.service"},
		{Job{Unit: "a.service", Type: "verify-active", Result: ResultDone}, "finished verify-active job for a.service"},
		{Job{Unit: "a.service"}, "changing a.service"},
		{Job{Unit: "a.service", Result: ResultCanceled}, "failed to change a.service (result: canceled)"},
	} {
		if got := JobLine(tc.job); got != tc.want {
			t.Errorf("JobLine(%+v) = %q, want %q", tc.job, got, tc.want)
		}
	}
}

func TestNoise(t *testing.T) {
	if !Noise(Job{Unit: "app.slice", Type: "start", Result: ResultDone}) {
		t.Error("a finished slice job should be noise")
	}
	if Noise(Job{Unit: "app.slice", Type: "start", Result: ResultFailed}) {
		t.Error("a failed slice job must be reported")
	}
	if Noise(Job{Unit: "lychd-pod.service", Type: "start"}) {
		t.Error("a service job must be reported")
	}
}

func TestPublishedPorts(t *testing.T) {
	exec := [][]any{
		{"/usr/bin/podman", []string{"/usr/bin/podman", "pod", "create", "--publish", "8080:8080", "-p", "9000:9000", "--publish=127.0.0.1:53:53/udp", "--name", "lychd"}, false},
		{"/usr/bin/true", []string{"true"}, false},
	}
	if got := strings.Join(publishedPorts(exec), " "); got != "8080:8080 9000:9000 127.0.0.1:53:53/udp" {
		t.Errorf("publishedPorts = %q", got)
	}
	if publishedPorts("not a command list") != nil {
		t.Error("a wrongly typed property should give no ports")
	}
}

func TestUsec(t *testing.T) {
	if !usec(uint64(0)).IsZero() || !usec("x").IsZero() {
		t.Error("0 and wrong types are the zero time")
	}
	if got := usec(uint64(1_700_000_000_123_456)); !got.Equal(time.UnixMicro(1_700_000_000_123_456)) {
		t.Errorf("usec = %v", got)
	}
}

func TestConnectNoManager(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+dir+"/no-bus")
	_, err := Connect(context.Background(), dir)
	var nm *NoManagerError
	if !errors.As(err, &nm) {
		t.Fatalf("err = %v, want a *NoManagerError", err)
	}
	want := "no systemd user manager reachable at " + dir + "/systemd/private (dial unix " + dir + "/systemd/private: connect: no such file or directory) nor on the session bus (dial unix " + dir + "/no-bus: connect: no such file or directory); is `systemctl --user` working? (try: loginctl enable-linger $USER)"
	if err.Error() != want {
		t.Errorf("err =\n%s\nwant\n%s", err, want)
	}
	if !errors.Is(err, ErrNoManager) {
		t.Error("err does not match ErrNoManager")
	}
	if err := ReloadUser(context.Background(), dir); !errors.Is(err, ErrNoManager) {
		t.Errorf("ReloadUser err = %v", err)
	}
	if !errors.Is(err, syscall.ENOENT) {
		t.Error("the causes should unwrap")
	}
}

func TestOutcome(t *testing.T) {
	jobs := []Job{
		{ID: 1, Unit: "a.service", Type: "start", Result: ResultDone, Requested: true},
		{ID: 2, Unit: "b.service", Type: "stop", Result: ResultSkipped},
		{ID: 3, Unit: "c.service", Type: "start", Result: ResultTimeout},
		{ID: 4, Unit: "user.slice", Type: "start"},
		{ID: 5, Unit: "d.service", Type: "stop"},
	}
	for _, tc := range []struct {
		name string
		jobs []Job
		err  error
		want string
	}{
		{"all done", jobs[:2], nil, ""},
		{"failed", jobs[:3], nil, "start failed for c.service; see: journalctl --user -u c.service"},
		{"interrupted", jobs, fmt.Errorf("waiting for start jobs: %w", context.Canceled), "interrupted: lychd stopped waiting, and systemd goes on with: stop d.service (follow them with: systemctl --user list-jobs)"},
		{"interrupted, nothing left", jobs[:2], context.Canceled, "interrupted: lychd stopped waiting for the start jobs"},
		{"other error", nil, errors.New("bus gone"), "bus gone"},
	} {
		err := Outcome("start", tc.jobs, tc.err)
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestHasHealthCheck(t *testing.T) {
	// As Quadlet 5.4 writes HealthCmd= and Notify=healthy.
	withCheck := [][]any{{"/usr/bin/podman", []string{"/usr/bin/podman", "run", "--name", "x", "--sdnotify=healthy", "-d", "--health-cmd", "wget -q -O - http://127.0.0.1:8081/health", "img"}, false}}
	without := [][]any{{"/usr/bin/podman", []string{"/usr/bin/podman", "run", "--name", "x", "--sdnotify=conmon", "-d", "img", "--health-cmd"}[:6], false}}
	if !hasHealthCheck(withCheck) {
		t.Error("a podman run with --health-cmd has a health check")
	}
	if hasHealthCheck(without) || hasHealthCheck("not a command list") {
		t.Error("a podman run without --health-cmd has none")
	}
}
