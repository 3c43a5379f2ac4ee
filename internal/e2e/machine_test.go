package e2e

import (
	"strings"
	"testing"
	"time"
)

const smokePod = `[Pod]
PodName=lychd
`

const smokeA = `[Unit]
Description=smoke A
Conflicts=b.service

[Container]
Image=example.invalid/a:latest
Pod=lychd.pod
StartWithPod=false
`

const smokeB = `[Unit]
Description=smoke B
Conflicts=a.service
After=a.service

[Container]
Image=example.invalid/b:latest
Pod=lychd.pod
StartWithPod=false
`

// TestSmokeConflictSwap boots a machine, installs a pod and two conflicting
// containers through the real Quadlet generator, and proves from the stub
// podman's log that each swap stopped the running container completely
// before its replacement began.
func TestSmokeConflictSwap(t *testing.T) {
	t.Parallel()
	m := Boot(t, shared(t))
	t.Logf("boot (nspawn start to user manager running): %v", m.BootTime)

	m.WriteFile(t, QuadletUnitDir+"/lychd.pod", smokePod)
	m.WriteFile(t, QuadletUnitDir+"/a.container", smokeA)
	m.WriteFile(t, QuadletUnitDir+"/b.container", smokeB)
	t.Logf("daemon-reload with Quadlet: %v", m.UserDaemonReload(t))

	active := func(unit string) string {
		out, _, _ := m.UserRun(t, "systemctl", "--user", "is-active", unit)
		return strings.TrimSpace(out)
	}
	for _, step := range []struct{ start, other string }{
		{"a.service", "b.service"},
		{"b.service", "a.service"},
		{"a.service", "b.service"},
	} {
		t0 := time.Now()
		m.MustUserRun(t, "systemctl", "--user", "start", step.start)
		t.Logf("systemctl --user start %s: %v", step.start, time.Since(t0))
		if got := active(step.start); got != "active" {
			t.Fatalf("after starting %s it is %q, want active", step.start, got)
		}
		if got := active(step.other); got != "inactive" {
			t.Fatalf("after starting %s, %s is %q, want inactive", step.start, step.other, got)
		}
	}
	if got := active("lychd-pod.service"); got != "active" {
		t.Errorf("lychd-pod.service is %q, want active (BindsTo from the containers)", got)
	}

	log := m.PodmanLog(t)
	if o := Overlaps(log, "a.service", "b.service"); len(o) > 0 {
		t.Errorf("conflicting containers ran at the same time: %v\nlog:\n%s", o, dump(log))
	}
	var runs []string
	for _, l := range Lifetimes(log) {
		runs = append(runs, l.Unit)
	}
	if got, want := strings.Join(runs, " "), "a.service b.service a.service"; got != want {
		t.Errorf("podman run order = %q, want %q\nlog:\n%s", got, want, dump(log))
	}
}

func dump(calls []PodmanCall) string {
	var b strings.Builder
	for _, c := range calls {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}
