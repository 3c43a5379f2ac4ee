package engine

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/lychd/lychd/sdk/preset"
	"github.com/pelletier/go-toml/v2"
)

//go:embed presets.toml
var builtinTOML []byte

// BuiltinSource names the embedded preset file in errors and provenance.
const BuiltinSource = "built in"

// Registry holds the presets a Codex may use: the built-in ones, then any
// defined in lychd.toml or registered by extensions. The zero value is
// empty and ready to use; a Registry is not safe for concurrent writes.
type Registry struct {
	presets map[string]entry
}

type entry struct {
	preset preset.Preset
	source string
}

// Builtin returns a registry holding the embedded presets. It fails only if
// presets.toml is broken, which its tests rule out.
func Builtin() (*Registry, error) {
	presets, err := ParsePresets("presets.toml", builtinTOML)
	if err != nil {
		return nil, fmt.Errorf("built-in presets: %w", err)
	}
	r := &Registry{}
	for _, name := range sortedKeys(presets) {
		if err := r.Add(name, presets[name], BuiltinSource); err != nil {
			return nil, fmt.Errorf("built-in presets: %w", err)
		}
	}
	return r, nil
}

// ParsePresets decodes a TOML document whose top-level tables are presets,
// strictly: an unknown key or a value of the wrong type is an error naming
// file and line. Every preset is then validated; all problems are
// returned together, joined, in name order.
func ParsePresets(file string, data []byte) (map[string]preset.Preset, error) {
	var m map[string]preset.Preset
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, decodeError(file, err)
	}
	var errs []error
	for _, name := range sortedKeys(m) {
		p := m[name]
		for _, err := range p.Validate(name) {
			errs = append(errs, fmt.Errorf("%s: %w", file, err))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// decodeError turns a go-toml error into "file:line: ..." text.
func decodeError(file string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var lines []string
		for _, e := range strict.Errors {
			row, _ := e.Position()
			lines = append(lines, fmt.Sprintf("%s:%d: %s: unknown key; a preset's keys are (description, image, exec, model, devices, volumes, environment, shm_size, start_timeout_seconds, health, metrics, capabilities)", file, row, strings.Join(e.Key(), ".")))
		}
		return errors.New(strings.Join(lines, "\n"))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		return fmt.Errorf("%s:%d: %s", file, row, de.Error())
	}
	return fmt.Errorf("%s: %w", file, err)
}

// Add validates p and registers it as name; source says where it was
// defined ("built in", "lychd.toml:12", "extension vision-organ") and is
// shown in errors and in Resolved.Filled. A name already registered is
// refused: presets never silently replace one another.
func (r *Registry) Add(name string, p preset.Preset, source string) error {
	if errs := p.Validate(name); len(errs) > 0 {
		return errors.Join(errs...)
	}
	if prev, ok := r.presets[name]; ok {
		return &preset.PresetError{Preset: name, Msg: fmt.Sprintf("already defined (%s); choose another name, e.g. %q, or override single keys in the soulstone", prev.source, name+"-custom")}
	}
	if r.presets == nil {
		r.presets = map[string]entry{}
	}
	r.presets[name] = entry{preset: clonePreset(p), source: source}
	return nil
}

// Lookup returns the preset called name and where it was defined.
func (r *Registry) Lookup(name string) (p preset.Preset, source string, ok bool) {
	e, ok := r.presets[name]
	if !ok {
		return preset.Preset{}, "", false
	}
	return clonePreset(e.preset), e.source, true
}

// Names returns the registered preset names, sorted.
func (r *Registry) Names() []string {
	return sortedKeys(r.presets)
}

// unknownEngine says that no preset is called engine, and what to do.
func unknownEngine(engine string, known []string) string {
	return fmt.Sprintf("engine %q is not a known preset; use one of %s, or define it under [presets.%s] in lychd.toml", engine, quoteList(known), tomlKey(engine))
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// tomlKey renders name as a TOML key, quoted when it contains a dot.
func tomlKey(name string) string {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
			return fmt.Sprintf("%q", name)
		}
	}
	return name
}

// clonePreset deep-copies p so callers cannot change a registered preset.
func clonePreset(p preset.Preset) preset.Preset {
	c := p
	c.Exec = cloneStrings(p.Exec)
	c.Devices = cloneStrings(p.Devices)
	c.Volumes = cloneStrings(p.Volumes)
	c.Capabilities = cloneStrings(p.Capabilities)
	if p.Environment != nil {
		c.Environment = make(map[string]string, len(p.Environment))
		for k, v := range p.Environment {
			c.Environment[k] = v
		}
	}
	if p.Model != nil {
		m := *p.Model
		m.HuggingFace = cloneStrings(p.Model.HuggingFace)
		m.Path = cloneStrings(p.Model.Path)
		c.Model = &m
	}
	if p.Health != nil {
		h := *p.Health
		h.Cmd = cloneStrings(p.Health.Cmd)
		c.Health = &h
	}
	if p.Metrics != nil {
		m := *p.Metrics
		c.Metrics = &m
	}
	return c
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}
