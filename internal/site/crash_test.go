package site

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Child processes: the test binary re-executes itself with these variables
// set, to die by SIGKILL in the middle of an Apply or to hold the lock.
const (
	envChild  = "LYCHD_SITE_TEST_CHILD" // "crash", "hold" or "apply"
	envHome   = "LYCHD_SITE_TEST_HOME"
	envKillAt = "LYCHD_SITE_TEST_KILL_AT" // 1-based step to die at; 0 never
	envGen    = "LYCHD_SITE_TEST_GEN"     // index into crashGens or concurrentGen
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(envChild); mode != "" {
		os.Exit(child(mode))
	}
	os.Exit(m.Run())
}

// child runs one Apply in a child process. Every step is printed on stdout
// before the child acts on it.
func child(mode string) int {
	s := siteAt(os.Getenv(envHome))
	killAt, _ := strconv.Atoi(os.Getenv(envKillAt))
	gi, _ := strconv.Atoi(os.Getenv(envGen))
	out := bufio.NewWriter(os.Stdout)
	n := 0
	s.Hook = func(step string) {
		n++
		fmt.Fprintln(out, step)
		out.Flush()
		switch {
		case mode == "crash" && n == killAt:
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		case mode == "hold" && step == "mkdir gen":
			fmt.Fprintln(out, "HOLDING")
			out.Flush()
			time.Sleep(time.Hour) // until killed
		}
	}
	var g Generation
	switch mode {
	case "crash", "hold":
		gs := crashGens()
		g = []Generation{gs[0], gs[1], crashGens3()}[gi]
	case "apply":
		g = concurrentGen(gi)
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode", mode)
		return 3
	}
	if _, err := s.Apply(context.Background(), g); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// crashGens are the old and the new generation of the crash test. The new
// one adds, changes, keeps and removes Quadlet files and targets, and
// changes and removes config files.
func crashGens() [2]Generation {
	var old, new []string
	for i := range 24 {
		old = append(old, fmt.Sprintf("lychd-soulstone-%02d.container=[Container]\nImage=img%d\n", i, i))
	}
	old = append(old, "lychd.pod=[Pod]\nPodName=lychd\n", "lychd-data.volume=[Volume]\n", "prometheus.yml=old scrape targets\n", "gone.yml=removed\n")
	for i := range 5 {
		old = append(old, fmt.Sprintf("lychd-coven-%d.target=[Unit]\nDescription=coven %d\n", i, i))
	}
	for i := 5; i < 40; i++ { // 00-04 removed, 24-39 added
		v := "img"
		if i%3 == 0 { // changed
			v = "new-img"
		}
		new = append(new, fmt.Sprintf("lychd-soulstone-%02d.container=[Container]\nImage=%s%d\n", i, v, i))
	}
	new = append(new, "lychd.pod=[Pod]\nPodName=lychd\nPublishPort=8080:8080\n", "lychd-data.volume=[Volume]\n", "prometheus.yml=new scrape targets\n")
	for i := 2; i < 8; i++ { // 0, 1 removed; 5-7 added; 2 changed
		d := fmt.Sprintf("coven %d", i)
		if i == 2 {
			d = "coven two"
		}
		new = append(new, fmt.Sprintf("lychd-coven-%d.target=[Unit]\nDescription=%s\n", i, d))
	}
	return [2]Generation{genOf(old...), genOf(new...)}
}

// runChild starts the test binary as a child and returns its stdout lines
// and exit error.
func runChild(t *testing.T, mode, home string, killAt, gen int) ([]string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envHome+"="+home,
		envKillAt+"="+strconv.Itoa(killAt), envGen+"="+strconv.Itoa(gen))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && stderr.Len() > 0 {
		err = fmt.Errorf("%w: %s", err, stderr.String())
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"), err
}

// killedBySIGKILL reports whether err says the child died of SIGKILL.
func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// TestCrashAtEveryStep kills an Apply at every one of its steps and checks
// that Quadlet and systemd see exactly the old set before the rename of
// "current" and exactly the new set from then on, and that the next Apply
// converges to the new set with nothing left over.
func TestCrashAtEveryStep(t *testing.T) {
	gens := crashGens()
	old, new := gens[0], gens[1]
	// The old state is built once and restored (at the same path, so the
	// absolute links stay valid) before every kill.
	home := fastHome(t)
	s := siteAt(home)
	apply(t, s, genOf("lychd.pod=ancient\n", "lychd-coven-0.target=ancient\n"))
	apply(t, s, old)
	pristine := filepath.Join(fastHome(t), "copy")
	copyTree(t, home, pristine)
	setup := func() *Site {
		if err := os.RemoveAll(home); err != nil {
			t.Fatal(err)
		}
		copyTree(t, pristine, home)
		return siteAt(home)
	}

	// A full run in a child lists the steps.
	s = setup()
	steps, err := runChild(t, "crash", s.Home, 0, 1)
	if err != nil {
		t.Fatalf("child apply: %v", err)
	}
	assertCanonical(t, s, new)
	swap := slices.Index(steps, "rename bindings/current") + 1
	if swap == 0 {
		t.Fatalf("no swap step in %v", steps)
	}
	distinct := map[string]bool{}
	for _, st := range steps {
		distinct[st] = true
	}
	if len(distinct) != len(steps) {
		t.Errorf("step names are not unique: %d names for %d steps", len(distinct), len(steps))
	}
	t.Logf("%d kill points; the switch is step %d", len(steps), swap)
	if len(steps) < 50 {
		t.Fatalf("only %d steps", len(steps))
	}

	wantOld, wantNew := flat(old), flat(new)
	for k := 1; k <= len(steps); k++ {
		s := setup()
		got, err := runChild(t, "crash", s.Home, k, 1)
		if !killedBySIGKILL(err) {
			t.Fatalf("step %d: child was not killed: %v", k, err)
		}
		if last := got[len(got)-1]; last != steps[k-1] {
			t.Fatalf("step %d: child died at %q, want %q (steps are not deterministic)", k, last, steps[k-1])
		}
		view := seen(t, s)
		want, which := wantOld, "old"
		if k > swap {
			want, which = wantNew, "new"
		}
		if !maps.Equal(view, want) {
			t.Fatalf("killed before step %d (%s): Quadlet and systemd see neither the complete %s set:\n got %v", k, steps[k-1], which, keys(view))
		}
		if cur, err := s.Current(); err != nil || !maps.Equal(flat(cur), want) {
			t.Fatalf("killed before step %d (%s): Current() = %v, %v", k, steps[k-1], keys(flat(cur)), err)
		}
		p, err := s.Plan(new)
		if err != nil {
			t.Fatalf("killed before step %d: Plan: %v", k, err)
		}
		if (len(p.Changes) == 0) != (k > swap) {
			t.Fatalf("killed before step %d: plan %v", k, ops(p.Changes))
		}
		apply(t, s, new)
		assertCanonical(t, s, new)
		if p := apply(t, s, new); !p.Empty() {
			t.Fatalf("killed before step %d: not converged: %v %v", k, ops(p.Changes), ops(p.Internal))
		}
	}
}

// TestCrashDuringRecovery kills an Apply just before its switch, leaving a
// complete but unused generation and dangling links, and then kills the
// next Apply (to a third, smaller generation) at every one of its steps.
func TestCrashDuringRecovery(t *testing.T) {
	gens := crashGens()
	old, third := gens[0], crashGens3()
	// The first child dies just before renaming "current".
	s := siteAt(fastHome(t))
	apply(t, s, old)
	firstSteps, err := runChild(t, "crash", s.Home, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	firstKill := slices.Index(firstSteps, "rename bindings/current") + 1
	// Crash once, keep a copy, and restore it (at the same path, so the
	// absolute links stay valid) before every second crash.
	home := fastHome(t)
	s = siteAt(home)
	apply(t, s, old)
	if _, err := runChild(t, "crash", home, firstKill, 1); !killedBySIGKILL(err) {
		t.Fatalf("first child not killed: %v", err)
	}
	pristine := filepath.Join(fastHome(t), "copy")
	copyTree(t, home, pristine)
	setup := func() *Site {
		if err := os.RemoveAll(home); err != nil {
			t.Fatal(err)
		}
		copyTree(t, pristine, home)
		return siteAt(home)
	}
	s = setup()
	steps, err := runChild(t, "crash", s.Home, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	assertCanonical(t, s, third)
	swap := slices.Index(steps, "rename bindings/current") + 1
	t.Logf("%d kill points in the recovery; its switch is step %d", len(steps), swap)
	for k := 1; k <= len(steps); k++ {
		s := setup()
		if _, err := runChild(t, "crash", s.Home, k, 2); !killedBySIGKILL(err) {
			t.Fatalf("step %d: child was not killed: %v", k, err)
		}
		want, which := flat(old), "old"
		if k > swap {
			want, which = flat(third), "third"
		}
		if view := seen(t, s); !maps.Equal(view, want) {
			t.Fatalf("recovery killed before step %d (%s): not the complete %s set: %v", k, steps[k-1], which, keys(view))
		}
		apply(t, s, third)
		assertCanonical(t, s, third)
	}
}

// crashGens3 is a small third generation for TestCrashDuringRecovery.
func crashGens3() Generation {
	return genOf("lychd.pod=[Pod]\nPodName=third\n", "lychd-soulstone-07.container=[Container]\nImage=third\n",
		"lychd-coven-1.target=[Unit]\nDescription=third\n", "lychd-coven-6.target=[Unit]\nDescription=third\n")
}

// concurrentGen is the i-th of the generations applied concurrently; they
// share names so that a mix would be visible.
func concurrentGen(i int) Generation {
	var pairs []string
	for j := range 12 {
		if (i+j)%4 != 0 {
			pairs = append(pairs, fmt.Sprintf("lychd-s%d.container=gen %d\n", j, i))
		}
	}
	for j := range 3 {
		if (i+j)%3 != 0 {
			pairs = append(pairs, fmt.Sprintf("lychd-c%d.target=gen %d\n", j, i))
		}
	}
	return genOf(pairs...)
}

// assertOneOf checks the site holds exactly one of n concurrentGens.
func assertOneOf(t *testing.T, s *Site, n int) {
	t.Helper()
	view := seen(t, s)
	for i := range n {
		if g := concurrentGen(i); maps.Equal(view, flat(g)) {
			assertCanonical(t, s, g)
			return
		}
	}
	t.Fatalf("installed set is none of the inputs: %v", view)
}

func TestConcurrentAppliesGoroutines(t *testing.T) {
	s := siteAt(fastHome(t))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			s := siteAt(s.Home)
			if _, err := s.Apply(ctx, concurrentGen(i)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	assertOneOf(t, s, 8)
}

func TestConcurrentAppliesProcesses(t *testing.T) {
	s := siteAt(fastHome(t))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			if _, err := runChild(t, "apply", s.Home, 0, i); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	assertOneOf(t, s, 8)
}

func TestKilledLockHolderDoesNotBlock(t *testing.T) {
	s := newSite(t)
	gens := crashGens()
	apply(t, s, gens[0])
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=hold", envHome+"="+s.Home, envGen+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "HOLDING" {
	}
	// The holder has the lock: a bounded wait fails.
	c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = s.Apply(c, gens[1])
	cancel()
	want := "wait for lock " + filepath.Join(s.BindingsDir, "bind.lock") + " (another lychd is binding): context deadline exceeded"
	if err == nil || err.Error() != want {
		t.Fatalf("Apply while locked: %v\nwant %s", err, want)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); !killedBySIGKILL(err) {
		t.Fatalf("holder: %v", err)
	}
	c, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := s.Apply(c, gens[1]); err != nil {
		t.Fatalf("Apply after the holder died: %v", err)
	}
	assertCanonical(t, s, gens[1])
}
