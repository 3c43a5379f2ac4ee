package unitfile

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Entry is one key and its raw value (the text after '=', trimmed, with line
// continuations joined; no unescaping).
type Entry struct {
	Key, Value string
}

// Section is one parsed section. Repeated headers of the same name are merged
// into one Section, as systemd does.
type Section struct {
	Name    string
	Entries []Entry
}

// Parsed is a unit file read back by Parse.
type Parsed struct {
	sections []Section
	index    map[string]int
}

// Sections returns the sections in the order of their first header.
func (p *Parsed) Sections() []Section { return p.sections }

// Get returns the raw values of key in section, in file order (nil if none).
func (p *Parsed) Get(section, key string) []string {
	i, ok := p.index[section]
	if !ok {
		return nil
	}
	var out []string
	for _, e := range p.sections[i].Entries {
		if e.Key == key {
			out = append(out, e.Value)
		}
	}
	return out
}

// systemd's WHITESPACE: the only characters its parser trims and splits on.
const whitespace = " \t\n\r"

// Parse reads a unit file the way systemd's config parser does: a line whose
// first non-blank character is '#' or ';' is a comment and skipped, also in
// the middle of a continuation; a line ending in an unescaped backslash (an
// odd number of trailing backslashes, no white space after it) continues on
// the next line, the backslash becoming a space; the joined line is trimmed
// of white space (space, tab, CR, LF); empty lines are skipped; "[Name]"
// starts a section (repeated names are merged); every other line must be
// "Key=Value" inside a section, with white space around key and value
// trimmed. Values are returned raw, without unescaping.
//
// Quadlet 5.4's parser differs where File.Bytes never goes: it trims every
// physical line first, removes a continuation backslash instead of turning it
// into a space, and takes any trailing backslash, even an escaped "\\", as a
// continuation.
func Parse(data []byte) (*Parsed, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("unitfile: parse: data is not valid UTF-8; unit files are UTF-8 text")
	}
	p := &Parsed{index: map[string]int{}}
	cur := -1
	lines := strings.Split(string(data), "\n")
	cont := ""
	inCont := false
	contStart := 0
	for n, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if lead := strings.TrimLeft(line, whitespace); lead != "" && (lead[0] == '#' || lead[0] == ';') {
			continue
		}
		if !inCont {
			contStart = n
		}
		line = cont + line
		if endsInContinuation(line) {
			cont, inCont = line[:len(line)-1]+" ", true
			continue
		}
		cont, inCont = "", false
		if err := p.parseLine(strings.Trim(line, whitespace), contStart+1, &cur); err != nil {
			return nil, err
		}
	}
	if inCont {
		if err := p.parseLine(strings.Trim(cont, whitespace), contStart+1, &cur); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// parseLine handles one logical line (continuations joined, trimmed).
func (p *Parsed) parseLine(line string, lineNo int, cur *int) error {
	switch {
	case line == "" || line[0] == '#' || line[0] == ';':
		return nil
	case line[0] == '[':
		if line[len(line)-1] != ']' || len(line) < 3 || strings.ContainsAny(line[1:len(line)-1], "[]") {
			return fmt.Errorf("unitfile: parse: line %d: invalid section header %q; write [Name]", lineNo, line)
		}
		name := line[1 : len(line)-1]
		i, ok := p.index[name]
		if !ok {
			i = len(p.sections)
			p.index[name] = i
			p.sections = append(p.sections, Section{Name: name})
		}
		*cur = i
	default:
		k, v, ok := strings.Cut(line, "=")
		k = strings.Trim(k, whitespace)
		if !ok || k == "" {
			return fmt.Errorf("unitfile: parse: line %d: %q is not a section header, comment or Key=Value assignment", lineNo, line)
		}
		if *cur < 0 {
			return fmt.Errorf("unitfile: parse: line %d: assignment %q before the first [Section] header", lineNo, line)
		}
		p.sections[*cur].Entries = append(p.sections[*cur].Entries, Entry{Key: k, Value: strings.Trim(v, whitespace)})
	}
	return nil
}

// endsInContinuation reports whether line ends in an unescaped backslash
// (an odd number of trailing backslashes), as systemd decides it.
func endsInContinuation(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// UnescapeLiteral undoes Literal's escaping: "%%" becomes "%". Other '%'
// sequences are specifiers that systemd would expand; they are left as they
// are.
func UnescapeLiteral(raw string) string { return undouble(raw, '%') }

// UnescapeArg undoes Arg's escaping: "%%" becomes "%" and "$$" becomes "$".
func UnescapeArg(raw string) string { return undouble(undouble(raw, '%'), '$') }

// undouble replaces every pair cc with c, scanning left to right.
func undouble(s string, c byte) string {
	if strings.IndexByte(s, c) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == c && i+1 < len(s) && s[i+1] == c {
			i++
		}
	}
	return b.String()
}

// SplitWords splits a raw command-line value (Quadlet Exec=, Environment=,
// PodmanArgs=; systemd ExecStart=) into the words the program finally
// receives, the inverse of Words: words are separated by unquoted space, tab,
// CR or LF; single and double quotes group and are removed, also in the
// middle of a word; backslash escapes (\a \b \f \n \r \t \v \\ \" \' \s \xHH
// \ooo \uHHHH \UHHHHHHHH) are decoded inside and outside quotes; then "%%"
// becomes "%" and "$$" becomes "$". Other '%' and '$' sequences are
// specifiers and variables that systemd expands at run time; they are left as
// they are.
//
// It is stricter than systemd, and reports an error for input that Quadlet
// 5.4 would silently mangle: unbalanced quotes, a trailing or unknown escape,
// an escaped NUL, an empty word (Quadlet drops it and everything after it)
// and the word ";" (Quadlet writes it unquoted into ExecStart=, where it is
// systemd's command separator).
func SplitWords(raw string) ([]string, error) {
	words, err := SplitWordsRaw(raw)
	if err != nil {
		return nil, err
	}
	for i, w := range words {
		words[i] = undouble(undouble(w, '%'), '$')
	}
	return words, nil
}

// SplitWordsRaw splits like SplitWords but leaves systemd's expansions in
// the words: "%%", "$$", specifiers and variables are returned as they are
// written. Unexpanded then tells whether systemd would expand anything.
func SplitWordsRaw(raw string) ([]string, error) {
	var words []string
	i := 0
	for {
		for i < len(raw) && strings.IndexByte(whitespace, raw[i]) >= 0 {
			i++
		}
		if i >= len(raw) {
			return words, nil
		}
		start := i
		var w strings.Builder
		var quote byte
		for i < len(raw) {
			c := raw[i]
			if quote == 0 && strings.IndexByte(whitespace, c) >= 0 {
				break
			}
			switch {
			case c == '\\':
				n, err := unescapeOne(raw[i+1:], &w)
				if err != nil {
					return nil, fmt.Errorf("unitfile: split words: %w at byte %d of %q", err, i, raw)
				}
				i += 1 + n
				continue
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
			case quote != 0 && c == quote:
				quote = 0
			default:
				w.WriteByte(c)
			}
			i++
		}
		if quote != 0 {
			return nil, fmt.Errorf("unitfile: split words: unbalanced %c quote starting in word at byte %d of %q", quote, start, raw)
		}
		word := w.String()
		if word == "" {
			return nil, fmt.Errorf("unitfile: split words: empty word at byte %d of %q; Quadlet 5.4 drops it and every word after it", start, raw)
		}
		if word == ";" {
			return nil, fmt.Errorf("unitfile: split words: the word \";\" at byte %d of %q is systemd's command separator once Quadlet re-quotes it", start, raw)
		}
		words = append(words, word)
	}
}

// Unexpanded returns the text systemd passes for a word of SplitWordsRaw
// when the word holds no specifier and no variable: "%%" becomes "%" and
// "$$" becomes "$". ok is false when a lone '%' or '$' remains, which
// systemd would expand (or refuse).
func Unexpanded(word string) (text string, ok bool) {
	var b strings.Builder
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c == '%' || c == '$' {
			if i+1 >= len(word) || word[i+1] != c {
				return "", false
			}
			i++
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// unescapeOne decodes the escape sequence after a backslash (s starts after
// it), writes the result to w and returns how many bytes of s it used.
func unescapeOne(s string, w *strings.Builder) (int, error) {
	if s == "" {
		return 0, errors.New("trailing backslash")
	}
	simple := map[byte]byte{'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', '\\': '\\', '"': '"', '\'': '\'', 's': ' '}
	if c, ok := simple[s[0]]; ok {
		w.WriteByte(c)
		return 1, nil
	}
	hexAt := func(from, n int) (uint64, bool) {
		if len(s) < from+n {
			return 0, false
		}
		var v uint64
		for _, c := range []byte(s[from : from+n]) {
			var d byte
			switch {
			case c >= '0' && c <= '9':
				d = c - '0'
			case c >= 'a' && c <= 'f':
				d = c - 'a' + 10
			case c >= 'A' && c <= 'F':
				d = c - 'A' + 10
			default:
				return 0, false
			}
			v = v<<4 | uint64(d)
		}
		return v, true
	}
	switch s[0] {
	case 'x':
		v, ok := hexAt(1, 2)
		if !ok || v == 0 {
			return 0, fmt.Errorf("invalid escape \\x%.2s", s[1:])
		}
		w.WriteByte(byte(v))
		return 3, nil
	case 'u', 'U':
		n := 4
		if s[0] == 'U' {
			n = 8
		}
		v, ok := hexAt(1, n)
		if !ok || v == 0 || v > utf8.MaxRune {
			return 0, fmt.Errorf("invalid escape \\%c", s[0])
		}
		w.WriteRune(rune(v))
		return 1 + n, nil
	case '0', '1', '2', '3', '4', '5', '6', '7':
		if len(s) < 3 {
			return 0, errors.New("invalid octal escape")
		}
		v := 0
		for _, c := range []byte(s[:3]) {
			if c < '0' || c > '7' {
				return 0, errors.New("invalid octal escape")
			}
			v = v<<3 | int(c-'0')
		}
		if v == 0 || v > 255 {
			return 0, errors.New("invalid octal escape")
		}
		w.WriteByte(byte(v))
		return 3, nil
	}
	return 0, fmt.Errorf("unknown escape \\%c (Quadlet 5.4 silently drops the whole value)", s[0])
}

// ParseEnvAssign reads one Environment= value written by EnvAssign back into
// the variable's name and value. It fails unless raw is exactly one word of
// the form NAME=VALUE with a valid NAME.
func ParseEnvAssign(raw string) (name, value string, err error) {
	words, err := SplitWords(raw)
	if err != nil {
		return "", "", fmt.Errorf("unitfile: environment assignment: %w", err)
	}
	if len(words) != 1 {
		return "", "", fmt.Errorf("unitfile: environment assignment %q: got %d words, want exactly one NAME=VALUE", raw, len(words))
	}
	name, value, ok := strings.Cut(words[0], "=")
	if !ok || !validEnvName(name) {
		return "", "", fmt.Errorf("unitfile: environment assignment %q: want NAME=VALUE with NAME matching [A-Za-z_][A-Za-z0-9_]*", raw)
	}
	return name, value, nil
}
