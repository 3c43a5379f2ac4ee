package host

import (
	"strings"

	"github.com/lychd/lychd/host/failure"
)

// ExtensionError is one extension's failure: its name, what it did and the
// tail of its stderr.
type ExtensionError = failure.Error

// ErrorList is several extensions' failures, sorted by name.
type ErrorList = failure.List

func launchErr(err error) (*failure.Error, bool) { return failure.As(err) }

func quoteName(s string) string { return failure.Quote(s) }

func stderrSuffix(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return "\n  last lines of its stderr:\n  | " + strings.Join(lines, "\n  | ")
}
