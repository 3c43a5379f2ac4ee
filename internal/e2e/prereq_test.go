package e2e

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
)

// recordTB captures Fatalf and Skipf instead of ending the real test.
type recordTB struct {
	testing.TB
	fatal, skip string
}

func (r *recordTB) Helper() {}
func (r *recordTB) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recordTB) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func callUnavailable(reason string) *recordTB {
	r := &recordTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Unavailable(r, reason)
	}()
	<-done
	return r
}

func TestUnavailableSkipsLocallyAndFailsInCI(t *testing.T) {
	t.Setenv("CI", "")
	r := callUnavailable("no complete e2e root file system at /x")
	if r.fatal != "" || r.skip != "e2e: no complete e2e root file system at /x; run scripts/ensure-deps.sh as root to enable booted-systemd tests" {
		t.Errorf("without CI: fatal=%q skip=%q", r.fatal, r.skip)
	}
	t.Setenv("CI", "true")
	r = callUnavailable("no complete e2e root file system at /x")
	if r.skip != "" || r.fatal != "e2e: no complete e2e root file system at /x (CI=true: run scripts/ensure-deps.sh before the tests)" {
		t.Errorf("with CI=true: fatal=%q skip=%q", r.fatal, r.skip)
	}
}

func TestBootWithoutRootFS(t *testing.T) {
	t.Setenv("CI", "true")
	r := &recordTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Boot(r, Options{RootFS: t.TempDir()})
	}()
	<-done
	if r.fatal == "" {
		t.Fatal("Boot with an empty root file system did not fail under CI=true")
	}
	if os.Geteuid() == 0 && !strings.HasPrefix(r.fatal, "e2e: no complete e2e root file system at ") {
		t.Errorf("fatal = %q", r.fatal)
	}
}
