package shared

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// ConfigError is a config table that does not fit the value an extension
// decodes it into.
type ConfigError struct {
	// Key is the path of the key the problem is about inside the table,
	// e.g. "model_size" or "models[1].name"; empty for the table as a
	// whole.
	Key string
	// Unknown is true when the table has a key the extension does not
	// know (a misspelling, usually).
	Unknown bool
	// Known are the keys the extension knows beside an unknown key,
	// sorted.
	Known []string
	// Problem says what is wrong when the key is not unknown, e.g. "got
	// string, the extension expects int".
	Problem string
}

// Error renders the problem in the extension's words, without the file
// and line lychd adds.
func (e *ConfigError) Error() string { return "decoding the extension's config table: " + e.Detail() }

// Detail is the problem without the "decoding the extension's config
// table" prefix.
func (e *ConfigError) Detail() string {
	switch {
	case e.Unknown:
		known := ""
		if len(e.Known) > 0 {
			q := make([]string, len(e.Known))
			for i, k := range e.Known {
				q[i] = strconv.Quote(k)
			}
			known = "known keys: " + strings.Join(q, ", ") + "; "
		}
		return fmt.Sprintf("unknown key %q (%scheck its spelling in lychd.toml)", e.Key, known)
	case e.Key == "":
		return e.Problem
	}
	return fmt.Sprintf("key %q: %s", e.Key, e.Problem)
}

// DecodeConfig decodes the JSON config table raw into v, a non-nil pointer.
// An empty or null table leaves v unchanged. Unknown keys are an error, so a
// misspelt key in lychd.toml is reported instead of silently ignored. A
// table that does not fit v is a *ConfigError naming the key.
func DecodeConfig(raw []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("the config table can only be decoded into a non-nil pointer, got %T", v)
	}
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if err := dec.Decode(&tree); err == nil {
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return &ConfigError{Problem: "trailing data after the table"}
		}
		if e := unknownKey(tree, rv.Type(), ""); e != nil {
			return e
		}
	}
	dec = json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return describeJSONError(err)
	}
	return nil
}

// describeJSONError turns an encoding/json error into a *ConfigError in
// terms of TOML keys.
func describeJSONError(err error) *ConfigError {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return &ConfigError{Problem: fmt.Sprintf("got %s for the whole table, the extension expects %s", typeErr.Value, typeErr.Type)}
		}
		return &ConfigError{Key: typeErr.Field, Problem: fmt.Sprintf("got %s, the extension expects %s", typeErr.Value, typeErr.Type)}
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		// unknownKey missed it (a type with rules of its own).
		if k, err := strconv.Unquote(rest); err == nil {
			return &ConfigError{Key: k, Unknown: true}
		}
	}
	return &ConfigError{Problem: strings.TrimPrefix(msg, "json: ")}
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// unknownKey walks the decoded table v along type t as encoding/json would
// decode it and returns the first key (in sorted order) that t has no
// field for.
func unknownKey(v any, t reflect.Type, path string) *ConfigError {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return nil // decodes itself
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return nil // a type error, which encoding/json reports
		}
		fields := jsonFields(t)
		for _, k := range sortedKeys(m) {
			ft, ok := fieldFor(fields, k)
			if !ok {
				known := make([]string, 0, len(fields))
				for _, f := range fields {
					known = append(known, f.name)
				}
				sort.Strings(known)
				return &ConfigError{Key: join(path, k), Unknown: true, Known: known}
			}
			if e := unknownKey(m[k], ft, join(path, k)); e != nil {
				return e
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		for _, k := range sortedKeys(m) {
			if e := unknownKey(m[k], t.Elem(), join(path, k)); e != nil {
				return e
			}
		}
	case reflect.Slice, reflect.Array:
		l, ok := v.([]any)
		if !ok {
			return nil
		}
		for i, e := range l {
			if err := unknownKey(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the keys encoding/json decodes into struct type t:
// exported fields by their json tag or name, fields of untagged embedded
// structs promoted, "-" left out.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFields(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name, f.Type})
	}
	return out
}

// fieldFor finds the field key decodes into: an exact match, else one
// that matches ignoring case, as encoding/json does.
func fieldFor(fields []jsonField, key string) (reflect.Type, bool) {
	for _, f := range fields {
		if f.name == key {
			return f.typ, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f.typ, true
		}
	}
	return nil, false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
