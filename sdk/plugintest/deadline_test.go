package plugintest_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/plugintest"
)

// stubborn ignores its context: Assimilate returns only when release is
// closed.
type stubborn struct{ release chan struct{} }

func (stubborn) Info() sdk.Info { return sdk.Info{Name: "stubborn", Version: "1"} }
func (s stubborn) Assimilate(context.Context, sdk.Assimilation) error {
	<-s.release
	return nil
}

// TestAnExtensionIgnoringItsContextFailsAtTheDeadline: the kit stops
// waiting at the deadline, as lychd does, instead of hanging until go
// test's own timeout.
func TestAnExtensionIgnoringItsContextFailsAtTheDeadline(t *testing.T) {
	ext := stubborn{release: make(chan struct{})}
	defer close(ext.release)
	r := plugintest.Assimilate(t, ext, plugintest.WithTimeout(20*time.Millisecond), plugintest.AllowError())
	want := "Assimilate did not return within the deadline of 20ms (plugintest.WithTimeout), and was still running " +
		"1s later: it must return when its context ends; lychd kills an extension that does not"
	if r.Err == nil || r.Err.Error() != want {
		t.Errorf("Err:\n got %v\nwant %s", r.Err, want)
	}
	failures := run(func(tb testing.TB) {
		plugintest.Assimilate(tb, ext, plugintest.WithTimeout(20*time.Millisecond))
	})
	if len(failures) != 1 || failures[0] != "plugintest: extension stubborn: "+want {
		t.Errorf("failures = %q", failures)
	}
}

// patient honours its context and counts its calls.
type patient struct{ calls *atomic.Int32 }

func (patient) Info() sdk.Info { return sdk.Info{Name: "patient", Version: "1"} }
func (p patient) Assimilate(ctx context.Context, _ sdk.Assimilation) error {
	p.calls.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

// TestATimedOutAssimilationRunsOnce: the determinism check runs the
// extension a second time only when the first run finished, so a timeout
// costs one deadline, not two.
func TestATimedOutAssimilationRunsOnce(t *testing.T) {
	ext := patient{calls: new(atomic.Int32)}
	r := plugintest.Assimilate(t, ext, plugintest.WithTimeout(20*time.Millisecond), plugintest.AllowError())
	if r.Err == nil || !strings.HasPrefix(r.Err.Error(), "Assimilate did not return within the deadline of 20ms (plugintest.WithTimeout): context deadline exceeded") {
		t.Errorf("Err = %v", r.Err)
	}
	if n := ext.calls.Load(); n != 1 {
		t.Errorf("Assimilate was called %d times, want 1", n)
	}
}
