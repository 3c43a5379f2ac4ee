package host

import (
	"strings"

	"github.com/lychd/lychd/host/exterr"
)

// ExtensionError is one extension's failure: its name, what it did and the
// tail of its stderr.
type ExtensionError = exterr.Error

// ErrorList is several extensions' failures, sorted by name.
type ErrorList = exterr.List

func launchErr(err error) (*exterr.Error, bool) { return exterr.As(err) }

func quoteName(s string) string { return exterr.Quote(s) }

func stderrSuffix(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return "\n  last lines of its stderr:\n  | " + strings.Join(lines, "\n  | ")
}
