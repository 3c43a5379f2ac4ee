package realpodman

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"

	"github.com/lychd/lychd/internal/e2e"
)

// The package's tests share one bed (booting and setting one up takes
// seconds); each starts from the state Start left (bed resets it) and they
// do not run in parallel.
var shared struct {
	once    sync.Once
	mu      sync.Mutex // held while starting and closing
	dir     string     // lychd's build directory
	bed     *Bed
	missing error // a missing prerequisite
	err     error // a failed build or start
}

func TestMain(m *testing.M) {
	// An interrupted run (^C, a closed output pipe, go test's -timeout
	// kill aside) still powers the machine off.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "realpodman: %v: powering the machine off\n", s)
		os.Exit(closeShared(1))
	}()
	os.Exit(closeShared(m.Run()))
}

// closeShared closes the shared bed, if any, and removes lychd's build;
// it returns code, or 1 when the teardown failed.
func closeShared(code int) int {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.bed != nil {
		if err := shared.bed.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "realpodman: %v\n", err)
			code = 1
		}
		shared.bed = nil
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
		shared.dir = ""
	}
	return code
}

// bed returns the shared bed, reset, starting it on first use; a missing
// prerequisite skips t (fails it under CI=true). When t fails, the
// machine's last journal lines are logged.
func bed(t testing.TB) *Bed {
	t.Helper()
	shared.once.Do(func() {
		shared.mu.Lock()
		defer shared.mu.Unlock()
		if shared.missing = e2e.CheckHost(); shared.missing != nil {
			return
		}
		var opts Options
		if opts, shared.missing = Check(opts); shared.missing != nil {
			return
		}
		if shared.dir, shared.err = os.MkdirTemp("", "lychd-realpodman-"); shared.err != nil {
			return
		}
		if opts.Lychd, shared.err = e2e.BuildLychdTo(shared.dir); shared.err != nil {
			return
		}
		shared.bed, shared.err = Start(opts)
		if shared.bed != nil {
			fmt.Fprintf(os.Stderr, "realpodman: machine %s: boot %v, user setup %v, test image and pause image %v\n",
				shared.bed.Name, shared.bed.BootTime.Round(1e6), shared.bed.SetupTime.Round(1e6), shared.bed.ImageTime.Round(1e6))
		}
	})
	if shared.missing != nil {
		e2e.Unavailable(t, shared.missing.Error())
	}
	if shared.err != nil {
		t.Fatalf("realpodman: %v", shared.err)
	}
	b := shared.bed
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("realpodman: last journal lines of machine %s:\n%s", b.Name, b.Journal(200))
		}
	})
	b.Reset(t)
	return b
}

// lychdInit runs `lychd init` as a new user would before the first bind:
// it creates the directories the core's containers mount and the core's
// Podman secrets. Nothing else is prepared for lychd by hand.
func lychdInit(t testing.TB, b *Bed) {
	t.Helper()
	b.MustLychd(t, "init")
}
