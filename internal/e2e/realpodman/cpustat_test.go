package realpodman

import (
	"testing"
	"time"
)

func TestParseCPUStat(t *testing.T) {
	got, err := parseCPUStat("usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\nnr_periods 0\n")
	if err != nil || got != 1234567*time.Microsecond {
		t.Fatalf("parseCPUStat = %v, %v; want 1.234567s", got, err)
	}
	for _, in := range []string{"", "user_usec 5\n", "usage_usec x\n"} {
		if _, err := parseCPUStat(in); err == nil {
			t.Errorf("parseCPUStat(%q): no error", in)
		}
	}
}
