// Package failure is how the plugin host reports an extension that failed:
// its name, what it did and how to fix it, and the last lines of its
// stderr. Every part of the host returns these errors.
package failure

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error is one extension's failure.
type Error struct {
	// Extension is the extension's name ("core" for the in-process core).
	Extension string
	// Msg says what the extension did and how to fix it.
	Msg string
	// Stderr holds the last lines the extension wrote to stderr, oldest
	// first.
	Stderr []string
	// Err is the underlying error, if any, for errors.Is and errors.As;
	// Msg already describes it.
	Err error
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Error renders `extension "NAME": MSG`, the later lines of a message of
// several lines indented, followed by the stderr tail, one indented line
// each.
func (e *Error) Error() string {
	var sb strings.Builder
	sb.WriteString("extension ")
	sb.WriteString(quote(e.Extension))
	sb.WriteString(": ")
	sb.WriteString(strings.ReplaceAll(strings.TrimRight(e.Msg, "\n"), "\n", "\n  "))
	if len(e.Stderr) > 0 {
		sb.WriteString("\n  last lines of its stderr:")
		for _, l := range e.Stderr {
			sb.WriteString("\n  | ")
			sb.WriteString(l)
		}
	}
	return sb.String()
}

// quote quotes a name for a message without letting control characters
// through.
func quote(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			const hex = "0123456789abcdef"
			sb.WriteString(`\x`)
			sb.WriteByte(hex[r>>4])
			sb.WriteByte(hex[r&0xf])
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// Quote is the quoting Error uses for names, exported for messages built
// elsewhere.
func Quote(s string) string { return quote(s) }

// List is several extensions' failures, sorted by extension name.
type List []*Error

// Error renders each failure on its own line(s), sorted by name.
func (l List) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap exposes the individual errors to errors.Is and errors.As.
func (l List) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Sort orders the list by extension name, then message.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Extension != l[j].Extension {
			return l[i].Extension < l[j].Extension
		}
		return l[i].Msg < l[j].Msg
	})
}

// Join returns nil for an empty list, the single error for one, and the
// sorted list otherwise.
func Join(errs []*Error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	l := List(append([]*Error(nil), errs...))
	l.Sort()
	return l
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// ChangedBinary says that the binary at path is no longer the one
// installed from source: its sha256 is got, the lock file records want.
func ChangedBinary(path, got, want, source string) string {
	return fmt.Sprintf("binary %s changed since it was installed (sha256 %s, the lock file says %s); if you upgraded it on purpose, reinstall it with: lychd extension install %s",
		path, short(got), short(want), InstallSource(source))
}

// short abbreviates a hex digest for messages.
func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

// InstallSource is what to pass to `lychd extension install` to reinstall
// an extension installed from src: src itself, or PATH (a placeholder the
// user replaces) when the lock file recorded no source.
func InstallSource(src string) string {
	if src == "" {
		return "PATH"
	}
	return src
}
