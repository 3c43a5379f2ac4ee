package codex

import (
	"sort"
	"strconv"
	"strings"
)

// Error is one problem found in the Codex.
type Error struct {
	// File is the path of the file relative to the Codex directory, with
	// forward slashes (e.g. "soulstones/vision.toml"). For a problem with the
	// Codex directory itself it is that directory's path.
	File string
	// Line is the 1-based line of the problem, 0 when it concerns the whole
	// file.
	Line int
	// Key is the dotted TOML key the problem is about (e.g.
	// "vision-analyzer.devices[1]"), empty when it concerns no key.
	Key string
	// Msg says what is wrong and how to fix it.
	Msg string
}

// Error renders the problem as "FILE:LINE: KEY: MSG", leaving out the line
// and key when they are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found by one Load. Load returns it sorted by file,
// line and key.
type Errors []*Error

// Error joins the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// sort orders the problems by file, line, key and message.
func (es Errors) sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Msg < b.Msg
	})
}
