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

type listOnly struct {
	Manager
	units []Unit
	// readErr fails every ReadUnit.
	readErr error
	// reads records ReadUnit's calls.
	reads *[]string
}

func (l listOnly) ListUnitStates(context.Context, []string, ...string) ([]Unit, error) {
	var out []Unit
	for _, u := range l.units {
		out = append(out, Unit{Name: u.Name, LoadState: u.LoadState})
	}
	return out, nil
}

func (l listOnly) ReadUnit(_ context.Context, name string) (Unit, error) {
	if l.reads != nil {
		*l.reads = append(*l.reads, name)
	}
	if l.readErr != nil {
		return Unit{}, l.readErr
	}
	for _, u := range l.units {
		if u.Name == name {
			return u, nil
		}
	}
	return Unit{Name: name, LoadState: "not-found"}, nil
}

func TestUnitResolver(t *testing.T) {
	m := listOnly{units: []Unit{
		{Name: "lychd-coven-vision.target", LoadState: "loaded", ConsistsOf: []string{"lychd-soulstone-vpre.service"}, Wants: []string{"lychd-soulstone-vana.service", "lychd-soulstone-vpre.service", "other.service"}},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded"},
		{Name: "lychd-soulstone-vpre.service", LoadState: "loaded", Conflicts: []string{"lychd-soulstone-hermes.service"}},
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", Conflicts: []string{"lychd-coven-vision.target"}},
		{Name: "lychd-soulstone-xtts.service", LoadState: "loaded"},
		{Name: "lychd-soulstone-kokoro.service", LoadState: "loaded", Conflicts: []string{"lychd-soulstone-xtts.service"}},
		{Name: "lychd-soulstone-gone.service", LoadState: "not-found"},
	}}
	r, err := NewUnitResolver(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	unit, members, err := r.Resolve("vision")
	if err != nil || unit != "lychd-coven-vision.target" || strings.Join(members, " ") != "lychd-soulstone-vana.service lychd-soulstone-vpre.service" {
		t.Errorf("Resolve(vision) = %s %v %v", unit, members, err)
	}
	if unit, members, err = r.Resolve("xtts"); err != nil || unit != "lychd-soulstone-xtts.service" || len(members) != 1 {
		t.Errorf("Resolve(xtts) = %s %v %v", unit, members, err)
	}
	if _, _, err = r.Resolve("gone"); err == nil || !strings.HasPrefix(err.Error(), `no coven or soulstone named "gone"`) {
		t.Errorf("Resolve(gone) err = %v", err)
	}
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"vision", "xtts"}, ""},
		{[]string{"xtts", "vision", "hermes"}, "vision hermes"}, // member vpre conflicts with hermes
		{[]string{"hermes", "vision"}, "hermes vision"},         // hermes conflicts with the target
		{[]string{"xtts", "hermes", "kokoro"}, "xtts kokoro"},   // the reverse direction counts
		{[]string{"hermes", "gone", "xtts"}, ""},                // unknown names are Resolve's business
	} {
		a, b, ok := r.Conflict(tc.names)
		got := ""
		if ok {
			got = a + " " + b
		}
		if got != tc.want {
			t.Errorf("Conflict(%v) = %q, want %q", tc.names, got, tc.want)
		}
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

// TestUnitResolverHoldTargets uses the shape lychd bind generates: members
// of a multi-soulstone class want and are part of a hold target, and their
// enemies conflict with the hold target.
func TestUnitResolverHoldTargets(t *testing.T) {
	m := listOnly{units: []Unit{
		{Name: "lychd-coven-vision.target", LoadState: "loaded", Wants: []string{"lychd-soulstone-omni.service", "lychd-soulstone-vana.service", "lychd-soulstone-vpre.service"}, Conflicts: []string{"lychd-soulstone-hermes.service", "lychd-soulstone-xtts.service"}},
		{Name: "lychd-coven-chat.target", LoadState: "loaded", Wants: []string{"lychd-soulstone-omni.service", "lychd-soulstone-qwen.service"}, Conflicts: []string{"lychd-soulstone-hermes.service", "lychd-soulstone-xtts.service"}},
		{Name: "lychd-hold-vision.target", LoadState: "loaded"},
		{Name: "lychd-soulstone-vpre.service", LoadState: "loaded", Wants: []string{"lychd-hold-vision.target"}, PartOf: []string{"lychd-hold-vision.target", "lychd-coven-vision.target"}},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded", Wants: []string{"lychd-hold-vision.target"}, PartOf: []string{"lychd-hold-vision.target", "lychd-coven-vision.target"}},
		{Name: "lychd-soulstone-omni.service", LoadState: "loaded", Conflicts: []string{"lychd-soulstone-hermes.service"}},
		{Name: "lychd-soulstone-qwen.service", LoadState: "loaded", Conflicts: []string{"lychd-soulstone-hermes.service", "lychd-hold-vision.target"}},
		{Name: "lychd-soulstone-hermes.service", LoadState: "loaded", Conflicts: []string{"lychd-hold-vision.target"}},
		{Name: "lychd-soulstone-xtts.service", LoadState: "loaded", Conflicts: []string{"lychd-soulstone-qwen.service", "lychd-soulstone-omni.service", "lychd-hold-vision.target"}},
	}}
	r, err := NewUnitResolver(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a, b    string
		hostile bool
	}{
		{"vpre", "hermes", true}, {"hermes", "vpre", true}, {"vision", "hermes", true},
		{"qwen", "vpre", true}, {"chat", "xtts", true}, {"vision", "chat", true},
		{"hermes", "xtts", false}, {"omni", "vpre", false}, {"omni", "qwen", false}, {"vpre", "vana", false}, {"omni", "vision", false},
	} {
		_, _, got := r.Conflict([]string{tc.a, tc.b})
		if got != tc.hostile {
			t.Errorf("Conflict(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.hostile)
		}
	}
}

// TestUnitResolverReadsLazily: a name costs the reads of its coven target
// and soulstone service, each once; a conflict check of one name reads
// nothing more; a read error surfaces from Resolve, naming the name, and
// from Err.
func TestUnitResolverReadsLazily(t *testing.T) {
	var reads []string
	units := []Unit{
		{Name: "lychd-coven-vision.target", LoadState: "loaded", Wants: []string{"lychd-soulstone-vana.service"}},
		{Name: "lychd-soulstone-vana.service", LoadState: "loaded"},
		{Name: "lychd-soulstone-xtts.service", LoadState: "loaded"},
	}
	r, err := NewUnitResolver(context.Background(), listOnly{units: units, reads: &reads})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Resolve("xtts"); err != nil || strings.Join(reads, " ") != "lychd-coven-xtts.target lychd-soulstone-xtts.service" {
		t.Errorf("Resolve(xtts): err %v, reads %v", err, reads)
	}
	if _, _, ok := r.Conflict([]string{"xtts"}); ok || len(reads) != 2 {
		t.Errorf("Conflict of one name: reads %v; want no more", reads)
	}
	reads = nil
	for range 2 {
		if _, members, err := r.Resolve("vision"); err != nil || len(members) != 1 {
			t.Errorf("Resolve(vision) = %v, %v", members, err)
		}
	}
	if strings.Join(reads, " ") != "lychd-coven-vision.target" {
		t.Errorf("reads = %v, want the target once", reads)
	}

	failing := errors.New("reading unit at the bus: broken")
	r, err = NewUnitResolver(context.Background(), listOnly{units: units, readErr: failing})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Resolve("vision"); err == nil || err.Error() != `looking up "vision": reading unit at the bus: broken` || !errors.Is(err, failing) {
		t.Errorf("Resolve(vision) err = %v", err)
	}
	if _, _, ok := r.Conflict([]string{"xtts", "vision"}); ok || r.Err() != failing {
		t.Errorf("Conflict with a failing read: ok %v, Err %v", ok, r.Err())
	}
}

type fakeFiles map[string][]string

func (f fakeFiles) Has(unit string) bool { _, ok := f[unit]; return ok }
func (f fakeFiles) Wants(unit string) ([]string, error) {
	w, ok := f[unit]
	if !ok {
		return nil, fmt.Errorf("no file for %s", unit)
	}
	return w, nil
}

// TestUnitResolverFiles: names lychd's files define resolve without a read
// (members from the target file's Wants=); other names fall back to systemd.
func TestUnitResolverFiles(t *testing.T) {
	var reads []string
	r, err := NewUnitResolver(context.Background(), listOnly{reads: &reads, units: []Unit{
		{Name: "lychd-soulstone-hand.service", LoadState: "loaded"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r.UseFiles(fakeFiles{
		"lychd-coven-vision.target":    {"lychd-soulstone-vpre.service", "lychd-soulstone-vana.service", "lychd-hold-x.target"},
		"lychd-soulstone-xtts.service": nil,
	})
	if u, m, err := r.Resolve("vision"); err != nil || u != "lychd-coven-vision.target" || strings.Join(m, " ") != "lychd-soulstone-vana.service lychd-soulstone-vpre.service" {
		t.Errorf("Resolve(vision) = %s %v %v", u, m, err)
	}
	if u, _, err := r.Resolve("xtts"); err != nil || u != "lychd-soulstone-xtts.service" {
		t.Errorf("Resolve(xtts) = %s %v", u, err)
	}
	if len(reads) != 0 {
		t.Errorf("reads = %v, want none for names the files define", reads)
	}
	if u, _, err := r.Resolve("hand"); err != nil || u != "lychd-soulstone-hand.service" || strings.Join(reads, " ") != "lychd-coven-hand.target lychd-soulstone-hand.service" {
		t.Errorf("Resolve(hand) = %s %v, reads %v; want it found in systemd", u, err, reads)
	}
}
