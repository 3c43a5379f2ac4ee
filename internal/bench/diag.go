package bench

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"regexp"
	"time"
)

var launchNote = regexp.MustCompile(`\(launch ([^,]+), assimilation ([^;]+);`)

// ExtensionLaunches sums the launch times lychd reports for each launched
// extension in the "extensions" lines of `lychd bind --json` ("NAME
// VERSION (launch 41.2ms, assimilation 1.1ms; ...)"); cached extensions and
// the core have none.
func ExtensionLaunches(lines []string) (time.Duration, error) {
	var sum time.Duration
	for _, l := range lines {
		m := launchNote.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		d, err := time.ParseDuration(m[1])
		if err != nil {
			return 0, fmt.Errorf("launch time in %q: %w", l, err)
		}
		sum += d
	}
	return sum, nil
}

// HashAll computes the sha256 of every file, one after the other, as lychd
// does before launching an extension.
func HashAll(paths []string) error {
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("hashing: %w", err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("hashing %s: %w", p, err)
		}
	}
	return nil
}
