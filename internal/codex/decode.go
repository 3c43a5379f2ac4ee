package codex

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// doc is one decoded Codex file with the positions of its keys.
type doc struct {
	file   string
	values map[string]any
	pos    *positions
	errs   *Errors
}

// errorf records a problem at path.
func (d *doc) errorf(path keyPath, format string, args ...any) {
	*d.errs = append(*d.errs, &Error{File: d.file, Line: d.pos.line(path), Key: path.String(), Msg: fmt.Sprintf(format, args...)})
}

// sortedKeys returns the keys of m in document order (by line, then name),
// so that values are processed, and duplicates detected, deterministically.
func (d *doc) sortedKeys(base keyPath, m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		li, lj := d.pos.line(base.child(keys[i])), d.pos.line(base.child(keys[j]))
		if li != lj {
			return li < lj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// typeName names the TOML type of a decoded value.
func typeName(v any) string {
	switch v := v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		if len(v) > 0 {
			if _, ok := v[0].(map[string]any); ok {
				return "an array of tables"
			}
		}
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time, toml.LocalDate, toml.LocalTime, toml.LocalDateTime:
		return "a date/time"
	}
	return fmt.Sprintf("a %T", v)
}

// field describes one known key of a table: its TOML type and an example
// line shown when the value has the wrong type.
type field struct {
	name    string
	kind    string // "string", "integer", "boolean", "array of strings", "table"
	example string
}

// wrongType records a type mismatch for f at path.
func (d *doc) wrongType(path keyPath, f field, v any) {
	d.errorf(path, "expected %s, found %s; write e.g. %s", article(f.kind), typeName(v), f.example)
}

func article(kind string) string {
	if strings.IndexByte("aeiou", kind[0]) >= 0 {
		return "an " + kind
	}
	return "a " + kind
}

// str decodes a string value.
func (d *doc) str(path keyPath, f field, v any, check func(string) error) (string, bool) {
	s, ok := v.(string)
	if !ok {
		d.wrongType(path, f, v)
		return "", false
	}
	if check != nil {
		if err := check(s); err != nil {
			d.errorf(path, "%v", err)
			return "", false
		}
	}
	return s, true
}

// integer decodes an integer value into the range [lo, hi].
func (d *doc) integer(path keyPath, f field, v any, lo, hi int64, what string) (int, bool) {
	n, ok := v.(int64)
	if !ok {
		d.wrongType(path, f, v)
		return 0, false
	}
	if n < lo || n > hi {
		d.errorf(path, "%d is out of range; %s must be from %d to %d", n, what, lo, hi)
		return 0, false
	}
	return int(n), true
}

// boolean decodes a boolean value.
func (d *doc) boolean(path keyPath, f field, v any) (bool, bool) {
	b, ok := v.(bool)
	if !ok {
		if s, isStr := v.(string); isStr && (s == "true" || s == "false") {
			d.errorf(path, "expected a boolean, found the string %q; remove the quotes: %s = %s", s, f.name, s)
			return false, false
		}
		d.wrongType(path, f, v)
		return false, false
	}
	return b, true
}

// strList decodes an array of strings, checking each element and refusing
// duplicates. A single string gets a hint to wrap it in brackets.
func (d *doc) strList(path keyPath, f field, v any, check func(string) error) []string {
	arr, ok := v.([]any)
	if !ok {
		if s, isStr := v.(string); isStr {
			d.errorf(path, "expected an array of strings, found a string; write %s = [%s]", f.name, strconv.Quote(s))
			return nil
		}
		d.wrongType(path, f, v)
		return nil
	}
	var out []string
	seen := map[string]int{}
	for i, e := range arr {
		ep := path.index(i)
		s, ok := e.(string)
		if !ok {
			d.errorf(ep, "expected a string, found %s; write e.g. %s", typeName(e), f.example)
			continue
		}
		if check != nil {
			if err := check(s); err != nil {
				d.errorf(ep, "%v", err)
				continue
			}
		}
		if j, dup := seen[s]; dup {
			d.errorf(ep, "%s is listed twice (also at %s); list it once", strconv.Quote(s), path.index(j))
			continue
		}
		seen[s] = i
		out = append(out, s)
	}
	return out
}

// strings decodes an array of strings for a rune field, reporting entries
// of another type. It returns the strings and the index of each in the
// array; the values themselves are validate.CheckRune's to judge.
func (d *doc) strings(path keyPath, f field, v any) ([]string, []int) {
	arr, ok := v.([]any)
	if !ok {
		if s, isStr := v.(string); isStr {
			d.errorf(path, "expected an array of strings, found a string; write %s = [%s]", f.name, strconv.Quote(s))
			return nil, nil
		}
		d.wrongType(path, f, v)
		return nil, nil
	}
	var out []string
	var at []int
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			d.errorf(path.index(i), "expected a string, found %s; write e.g. %s", typeName(e), f.example)
			continue
		}
		out = append(out, s)
		at = append(at, i)
	}
	return out, at
}

// table decodes a table value.
func (d *doc) table(path keyPath, f field, v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		d.wrongType(path, f, v)
		return nil, false
	}
	return m, true
}

// unknownKey reports a key that is not among known, suggesting the closest.
// It returns the suggestion, "" when there is none.
func (d *doc) unknownKey(path keyPath, key string, known []field, aliases map[string]string, what string) string {
	names := make([]string, len(known))
	for i, f := range known {
		names[i] = f.name
	}
	if s := suggest(key, names, aliases); s != "" {
		d.errorf(path, "unknown key; did you mean %q?", s)
		return s
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	d.errorf(path, "unknown key; %s takes only %s", what, strings.Join(sorted, ", "))
	return ""
}

// toJSON converts a decoded TOML table to JSON for an extension or the core
// plugin. NaN and infinite floats have no JSON form and are reported.
func (d *doc) toJSON(path keyPath, v map[string]any) json.RawMessage {
	ok := true
	var walk func(p keyPath, v any)
	walk = func(p keyPath, v any) {
		switch v := v.(type) {
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				d.errorf(p, "%v cannot be passed on as JSON; write it as a string, e.g. %q", v, fmt.Sprint(v))
				ok = false
			}
		case []any:
			for i, e := range v {
				walk(p.index(i), e)
			}
		case map[string]any:
			for k, e := range v {
				walk(p.child(k), e)
			}
		}
	}
	walk(path, v)
	if !ok {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		d.errorf(path, "cannot be passed on as JSON (%v); simplify the values in this table", err)
		return nil
	}
	return b
}
