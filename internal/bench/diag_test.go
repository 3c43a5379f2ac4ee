package bench

import (
	"testing"
	"time"
)

func TestExtensionLaunches(t *testing.T) {
	got, err := ExtensionLaunches([]string{
		"core 0.1.0 (2 runes, 0 animators)",
		"bx00 0.0.1 (launch 41.2ms, assimilation 1.1ms; 1 runes, 0 animators)",
		"bx01 0.0.1 (cached; 1 runes, 0 animators)",
		"bx02 0.0.1 (launch 1.5s, assimilation 3ms; 1 runes, 0 animators)",
	})
	if want := 1541200 * time.Microsecond; err != nil || got != want {
		t.Errorf("ExtensionLaunches = %v, %v; want %v", got, err, want)
	}
}
