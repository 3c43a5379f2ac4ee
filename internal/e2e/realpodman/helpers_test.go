package realpodman

import (
	"regexp"
	"testing"
	"time"
)

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// eventually calls cond every 50 ms until it reports true, and fails the
// test with cond's last words if that takes longer than within. It waits
// for something asynchronous to happen (a restart, a server to listen),
// never for time to pass.
func eventually(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last: %s", what, within, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
