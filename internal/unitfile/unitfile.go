package unitfile

import (
	"bytes"
	"fmt"
	"strings"
)

// MaxLineBytes is the longest line File.Bytes writes, counting the key and
// '=' but not the newline. systemd 252 refuses to load a unit with a line of
// 1 MiB or more (LONG_LINE_MAX) and Quadlet has no limit of its own; lychd
// stays well below that at 64 KiB, and the SDK's value limits keep every
// line a checked value makes within it (so this is a bug check, never a
// user's error). Use File.AddWrapped for long lists.
const MaxLineBytes = 64 << 10

// File is a unit file built from typed values: ordered sections, each with
// ordered entries. Sections appear in the order of their first Add; entries in
// the order they were added. The zero File is not usable; call New.
type File struct {
	order    []string
	sections map[string][]entry
}

type entry struct {
	key string
	v   Value
}

// New returns an empty File.
func New() *File { return &File{sections: make(map[string][]entry)} }

// Add appends the entry key=v to section. Names and values are checked when
// the file is serialized, so that one error can name everything wrong.
func (f *File) Add(section, key string, v Value) {
	if _, ok := f.sections[section]; !ok {
		f.order = append(f.order, section)
	}
	f.sections[section] = append(f.sections[section], entry{key: key, v: v})
}

// AddWrapped appends items as List values of key, starting a new entry (the
// key repeated) whenever the line "key=items..." would exceed width bytes.
// width <= 0 means MaxLineBytes. systemd merges repeated list keys such as
// After=, Wants= and Conflicts=, so this is the same as one long line. An
// item longer than width gets an entry of its own. No items adds nothing.
func (f *File) AddWrapped(section, key string, width int, items ...string) {
	if width <= 0 {
		width = MaxLineBytes
	}
	var chunk []string
	n := len(key) + 1
	for _, it := range items {
		extra := len(it)
		if len(chunk) > 0 {
			extra++
		}
		if len(chunk) > 0 && n+extra > width {
			f.Add(section, key, List(chunk...))
			chunk, n, extra = nil, len(key)+1, len(it)
		}
		chunk = append(chunk, it)
		n += extra
	}
	if len(chunk) > 0 {
		f.Add(section, key, List(chunk...))
	}
}

// EntryError reports a section, key or value that cannot be written safely.
type EntryError struct {
	// Section and Key name the entry.
	Section, Key string
	// Kind is the value kind ("Literal", "Words", ...); empty for name errors.
	Kind string
	// Part is the offending part of the value: a word, an item, or the
	// whole value quoted; empty for name errors.
	Part string
	// Problem says what is wrong, Fix how to fix it.
	Problem, Fix string
}

// Error formats the error as "unitfile: [Section] Key=: Kind value: problem;
// fix", quoting a bad section or key name instead.
func (e *EntryError) Error() string {
	if !validName(e.Section) {
		return fmt.Sprintf("unitfile: section name %q: %s; %s", e.Section, e.Problem, e.Fix)
	}
	if e.Key != "" && !validName(e.Key) || e.Key == "" && e.Kind == "" {
		return fmt.Sprintf("unitfile: [%s] key name %q: %s; %s", e.Section, e.Key, e.Problem, e.Fix)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "unitfile: [%s] %s=: %s", e.Section, e.Key, e.Kind)
	if e.Part != "" {
		fmt.Fprintf(&b, " %s", e.Part)
	}
	fmt.Fprintf(&b, ": %s; %s", e.Problem, e.Fix)
	return b.String()
}

// validName reports whether s is a safe section or key name: an ASCII letter
// followed by ASCII letters, digits and '-'.
func validName(s string) bool {
	if s == "" || !isASCIILetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(isASCIILetter(c) || isASCIIDigit(c) || c == '-') {
			return false
		}
	}
	return true
}

// Bytes serializes the file: "[Section]" headers separated by blank lines,
// one "Key=value" line per entry, '\n' line endings. It returns an
// *EntryError for the first bad section name, key name or value, for a
// duplicate EnvAssign name under one key (Quadlet keeps only the last), and
// for a line longer than MaxLineBytes.
func (f *File) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	for i, sec := range f.order {
		if !validName(sec) {
			return nil, &EntryError{
				Section: sec,
				Problem: "invalid section name",
				Fix:     "use an ASCII letter followed by letters, digits or '-' (e.g. Container, X-Lychd)",
			}
		}
		if i > 0 {
			buf.WriteByte('\n')
		}
		fmt.Fprintf(&buf, "[%s]\n", sec)
		envSeen := map[string]bool{}
		for _, e := range f.sections[sec] {
			if !validName(e.key) {
				return nil, &EntryError{
					Section: sec, Key: e.key,
					Problem: "invalid key name",
					Fix:     "use an ASCII letter followed by letters, digits or '-' (never '=' or white space)",
				}
			}
			raw, p := e.v.encode()
			if p != nil {
				part := p.part
				if part == "" {
					part = fmt.Sprintf("%q", e.v.describe())
				}
				return nil, &EntryError{Section: sec, Key: e.key, Kind: e.v.kind.String(), Part: part, Problem: p.what, Fix: p.fix}
			}
			if e.v.kind == kindEnvAssign || e.v.kind == kindEnvSpecifier {
				id := e.key + "\x00" + e.v.name
				if envSeen[id] {
					return nil, &EntryError{
						Section: sec, Key: e.key, Kind: e.v.kind.String(), Part: e.v.name,
						Problem: "variable assigned twice; Quadlet keeps only the last assignment",
						Fix:     "assign each variable once",
					}
				}
				envSeen[id] = true
			}
			if n := len(e.key) + 1 + len(raw); n > MaxLineBytes {
				return nil, &EntryError{
					Section: sec, Key: e.key, Kind: e.v.kind.String(),
					Part:    fmt.Sprintf("(%d bytes)", n),
					Problem: fmt.Sprintf("line longer than %d bytes", MaxLineBytes),
					Fix:     "split the value, e.g. with AddWrapped for lists",
				}
			}
			buf.WriteString(e.key)
			buf.WriteByte('=')
			buf.WriteString(raw)
			buf.WriteByte('\n')
		}
	}
	return buf.Bytes(), nil
}

// describe is the value as given, for error messages (shortened).
func (v Value) describe() string {
	var s string
	switch v.kind {
	case kindEnvAssign, kindEnvSpecifier:
		s = v.name + "=" + v.s
	case kindWords, kindList:
		s = strings.Join(v.words, " ")
	default:
		s = v.s
	}
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
