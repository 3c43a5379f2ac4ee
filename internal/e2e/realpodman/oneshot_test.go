package realpodman

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMigrateRunsBeforeTheVessel: the core's migrate one-shot runs to
// completion before the Vessel, which Requires= it, starts: Podman records
// the migrate container's exit (status 0) before the Vessel's container
// is created. Both run as the host user (HostUser: User=%U, Group=%G)
// although the image names a user of its own (472:0): id -u and id -g
// inside say 1000, and the file the Vessel writes into the Crypt is the
// user's on the host. lychd start migrate runs it again and returns once it
// exited; lychd stop migrate stops nothing (a stop job would also stop the
// Vessel, which requires it); lychd status shows the one-shot done, not
// failed, with the Vessel still running.
func TestMigrateRunsBeforeTheVessel(t *testing.T) {
	b := bed(t)
	ports := freeCorePorts(t)
	toml := strings.Replace(lychdToml(ports, ""), fmt.Sprintf("image = %q", VesselImage), fmt.Sprintf("image = %q", VesselOwnUserImage), 1)
	b.WriteCodex(t, map[string]string{"lychd.toml": toml})
	lychdInit(t, b)
	b.MustLychd(t, "bind")
	since := time.Now()
	b.MustLychd(t, "start", "vessel")
	WaitPage(t, ports.vessel, "/", "hello from vessel\n", pageWait)

	events := b.Events(t, since, "type=container")
	migrateDied, ok := findByName(events, "died", "lychd-migrate")
	if !ok {
		t.Fatalf("no died event of lychd-migrate; events:\n%s", eventList(events))
	}
	if migrateDied.ExitCode == nil || *migrateDied.ExitCode != 0 {
		t.Errorf("lychd-migrate exited with %v, want 0", migrateDied.ExitCode)
	}
	vesselCreated, ok := findByName(events, "create", "lychd-vessel")
	if !ok {
		t.Fatalf("no create event of lychd-vessel; events:\n%s", eventList(events))
	}
	if !migrateDied.Time.Before(vesselCreated.Time) {
		t.Errorf("the Vessel was created before the migration exited:\n%s", eventList(events))
	}

	// Who ran: the migration's log line and the Vessel's report.
	eventually(t, pageWait, "lychd logs migrate shows the one-shot's user", func() (bool, string) {
		out, errOut, err := b.Lychd(t, "logs", "migrate", "-n", "50")
		want := "vessel: one-shot lychd database --wait-seconds 60 upgrade head --no-prompt: uid=1000 gid=1000"
		return err == nil && strings.Contains(out, want), fmt.Sprintf("%v\n%s%s", err, out, errOut)
	})
	info, err := Page(context.Background(), ports.vessel, "/info")
	if err != nil || !strings.Contains(info, "uid=1000\ngid=1000\n") {
		t.Errorf("the Vessel's /info = %q (%v), want uid=1000 and gid=1000 (the host user)", info, err)
	}
	if owner := strings.TrimSpace(b.MustRun(t, "stat", "-c", "%u:%g", VesselWriteFile)); owner != "1000:1000" {
		t.Errorf("%s is owned by %s on the host, want 1000:1000 (%s)", VesselWriteFile, owner, User)
	}
	if got, want := b.MustRun(t, "cat", VesselWriteFile), "written by vessel uid=1000 gid=1000\n"; got != want {
		t.Errorf("%s says %q, want %q", VesselWriteFile, got, want)
	}
	// Without HostUser the image's own user runs: what User=%U overrides.
	if got := strings.TrimSpace(b.MustUser(t, "podman", "run", "--rm", "--entrypoint", "id", VesselOwnUserImage)); got != "uid=472(472) gid=0(root) groups=0(root)" {
		t.Errorf("the image's own user: %q", got)
	}
	// Group=%G is needed: with User=%U alone the process's group would be
	// the image's (0), a subordinate gid on the host.
	podID := strings.TrimSpace(b.MustUser(t, "podman", "pod", "inspect", "--format", "{{.Id}}", "lychd"))
	if got := strings.TrimSpace(b.MustUser(t, "podman", "run", "--rm", "--pod", podID, "--user", "1000", "--entrypoint", "id", VesselOwnUserImage, "-g")); got == "1000" {
		t.Errorf("in the pod, --user 1000 alone gives gid %s: Group=%%G would not be needed", got)
	}

	// Started by name, the one-shot runs again to completion and start
	// returns once it exited; stopping the finished one-shot is a no-op.
	again := time.Now()
	b.MustLychd(t, "start", "migrate")
	if _, ok := findByName(b.Events(t, again, "type=container"), "died", "lychd-migrate"); !ok {
		t.Errorf("lychd start migrate returned before the one-shot ran to completion")
	}
	if out := b.MustLychd(t, "stop", "migrate"); out != "lychd-migrate.service is a one-shot that is not running (inactive/dead); nothing to stop\n" {
		t.Errorf("lychd stop migrate said %q", out)
	}

	out, errOut, err := b.Lychd(t, "status")
	if err != nil {
		t.Fatalf("lychd status: %v\n%s%s", err, out, errOut)
	}
	for _, re := range []string{
		`lychd-migrate.service +oneshot +- +inactive/dead, done `,
		`lychd-vessel.service +core +- +active/running `,
	} {
		if !regexpMatch(re, out) {
			t.Errorf("lychd status does not match %q:\n%s", re, out)
		}
	}
}

// findByName returns the first event with the given status about the
// container called name.
func findByName(events []Event, status, name string) (Event, bool) {
	for _, e := range events {
		if e.Status == status && e.Name == name {
			return e, true
		}
	}
	return Event{}, false
}

// eventList renders events one a line, for failure messages.
func eventList(events []Event) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString(e.String() + "\n")
	}
	return b.String()
}
