package codex

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lychd/lychd/internal/engine"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/spelling"
	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/validate"
)

// Keys of a [presets.NAME] table: preset.Preset's TOML keys.
var presetKeys = []field{
	{"description", "string", `description = "vLLM nightly"`},
	{"image", "string", `image = "docker.io/vllm/vllm-openai:nightly"`},
	{"exec", "array of strings", `exec = ["{model_args}", "--port", "{port}"]`},
	{"model", "table", `[presets.NAME.model] followed by huggingface = ["{model}"]`},
	{"devices", "array of strings", `devices = ["nvidia.com/gpu=all"]`},
	{"volumes", "array of strings", `volumes = ["lychd-cache:/cache"]`},
	{"environment", "table", `environment = { HF_HOME = "/cache/huggingface" }`},
	{"shm_size", "string", `shm_size = "16g"`},
	{"start_timeout_seconds", "integer", `start_timeout_seconds = 1800`},
	{"health", "table", `[presets.NAME.health] followed by cmd = ["curl", "-fsS", "http://127.0.0.1:{port}/health"]`},
	{"metrics", "table", `[presets.NAME.metrics] followed by path = "/metrics"`},
	{"capabilities", "array of strings", `capabilities = ["OpenAIChatCompletions"]`},
}

// presets decodes the [presets.NAME] tables of lychd.toml into the
// registry the soulstones resolve their engines against.
func (l *loader) presets(d *doc, p keyPath, m map[string]any) {
	for _, name := range d.sortedKeys(p, m) {
		np := p.child(name)
		t, ok := d.table(np, field{name, "table", fmt.Sprintf("[presets.%s] followed by image and exec", name)}, m[name])
		if !ok {
			continue
		}
		known := true
		for _, k := range d.sortedKeys(np, t) {
			if fieldByName(presetKeys, k).kind == "value" {
				d.unknownKey(np.child(k), k, presetKeys, nil, "a preset")
				known = false
			}
		}
		raw := d.toJSON(np, t)
		if !known || raw == nil {
			continue
		}
		var pr preset.Preset
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&pr); err != nil {
			d.errorf(np, "%s; see the keys of presets in docs/engines.md", jsonProblem(err))
			continue
		}
		src := fmt.Sprintf("%s:%d", d.file, d.pos.line(np))
		for _, err := range joined(l.registry.Add(name, pr, src)) {
			var pe *preset.PresetError
			if errors.As(err, &pe) && pe.Key != "" {
				d.errorf(subPath(np, pe.Key), "%s", pe.Msg)
				continue
			}
			if errors.As(err, &pe) {
				d.errorf(np, "%s", pe.Msg)
				continue
			}
			d.errorf(np, "%v", err)
		}
	}
}

// jsonProblem words a decoding error of a preset table.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s: expected %s, found %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return "unknown key " + f
	}
	return msg
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "an array"
	case "ptr", "struct", "map":
		return "a table"
	case "int":
		return "an integer"
	case "bool":
		return "a boolean"
	}
	return "a " + k
}

// joined splits an error made by errors.Join.
func joined(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// subPath extends base by a key such as "exec[2]" or "health.cmd[0]".
func subPath(base keyPath, key string) keyPath {
	p := base
	for _, part := range strings.Split(key, ".") {
		name, rest, _ := strings.Cut(part, "[")
		p = p.child(name)
		for rest != "" {
			num, after, _ := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if err != nil {
				break
			}
			p = p.index(i)
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return p
}

// engineKeys are the keys of a soulstone that uses an engine preset, as
// decoded; set says which keys the table sets (a list key set to [] is a
// value).
type engineKeys struct {
	engine, model string
	extraArgs     []string
	set           map[string]bool
}

// resolveEngine fills vr from the preset the soulstone names, reporting
// every problem at its key. It returns the resolution, or false.
func resolveEngine(d *doc, p keyPath, reg *engine.Registry, vr *validate.Rune, caps *[]string, health *[]string, shm string, ek engineKeys) (engine.Resolved, bool) {
	if _, _, ok := reg.Lookup(ek.engine); !ok {
		names := reg.Names()
		hint := ""
		if s := spelling.Closest(ek.engine, names, 2); s != "" {
			hint = fmt.Sprintf("did you mean %q? ", s)
		}
		var q []string
		for _, n := range names {
			q = append(q, strconv.Quote(n))
		}
		d.errorf(p.child("engine"), "%q is not a known engine preset; %sthe presets are %s; define your own under [presets.NAME] in lychd.toml, or install the extension that registers it", ek.engine, hint, strings.Join(q, ", "))
		return engine.Resolved{}, false
	}
	s := engine.Soulstone{
		Name: p[len(p)-1].key, Engine: ek.engine, Model: ek.model, Image: vr.Image,
		Exec: listOrNil(vr.Exec, ek.set["exec"]), ExtraArgs: ek.extraArgs, Port: vr.Port,
		Devices: listOrNil(vr.Devices, ek.set["devices"]), Volumes: vr.Volumes,
		ShmSize: shm, StartTimeout: vr.StartTimeout,
		HealthCmd:    listOrNil(*health, ek.set["health_cmd"]),
		Capabilities: listOrNil(*caps, ek.set["capabilities"]),
	}
	for _, e := range vr.Environment {
		s.Environment = append(s.Environment, model.EnvVar{Name: e.Name, Value: e.Value})
	}
	res, err := reg.Resolve(s)
	if err != nil {
		for _, e := range joined(err) {
			var fe *engine.FieldError
			if errors.As(e, &fe) {
				key := strings.Replace(fe.Key, "health.cmd", "health_cmd", 1)
				d.errorf(subPath(p, key), "%s", fe.Msg)
				continue
			}
			d.errorf(p, "%v", e)
		}
		return engine.Resolved{}, false
	}
	vr.Image, vr.Exec, vr.Port = res.Image, res.Exec, res.Port
	vr.Devices, vr.Volumes, vr.StartTimeout = res.Devices, res.Volumes, res.StartTimeout
	vr.Environment = nil
	for _, e := range res.Environment {
		vr.Environment = append(vr.Environment, validate.EnvVar{Name: e.Name, Value: e.Value})
	}
	*caps = res.Capabilities
	*health = nil
	if res.Health != nil {
		*health = res.Health.Cmd
	}
	return res, true
}

// listOrNil returns l, or an empty non-nil list when the key was set to
// [], or nil when it was not set.
func listOrNil(l []string, set bool) []string {
	if l == nil && set {
		return []string{}
	}
	return l
}

// applyHealth copies a resolved health check onto r.
func applyHealth(r *model.Rune, h *engine.Health) {
	if h == nil {
		return
	}
	r.HealthCmd = append([]string(nil), h.Cmd...)
	r.HealthInterval, r.HealthTimeout, r.HealthRetries = h.Interval, h.Timeout, h.Retries
	r.HealthStartPeriod = h.StartPeriod
}

// pendingSoulstone is a soulstone whose engine no preset of lychd or the
// Codex defines: an extension may register it.
type pendingSoulstone struct {
	d    *doc
	p    keyPath
	name string
	t    map[string]any
	src  model.Source
}

// ExtensionPreset is an engine preset an extension registered.
type ExtensionPreset struct {
	Name   string
	Preset preset.Preset
	// Source names the extension, e.g. "extension vision-organ".
	Source string
}

// ResolveEngines adds the presets extensions registered to those of lychd
// and the Codex, then decodes the soulstones whose engine only they can
// define (Load leaves those out of Runes). A preset name already taken and
// an engine still unknown are errors, returned as Errors sorted like
// Load's. Call it once, after the extensions are assimilated; a Codex
// whose soulstones all name known engines needs no call.
func (c *Codex) ResolveEngines(presets []ExtensionPreset) error {
	l := c.loader
	if l == nil {
		return nil
	}
	c.loader = nil
	for _, p := range presets {
		if err := l.registry.Add(p.Name, p.Preset, p.Source); err != nil {
			l.errs = append(l.errs, &Error{File: p.Source, Msg: err.Error()})
		}
	}
	for _, ps := range l.pending {
		r, vr, caps, tags, res, _, ok := soulstone(ps.d, ps.p, ps.name, ps.t, l.registry, false)
		if ok {
			l.add(ps.d, ps.p, ps.name, ps.src, r, vr, caps, tags, res)
		}
	}
	l.pending = nil
	if len(l.errs) > 0 {
		l.errs.sort()
		return l.errs
	}
	c.sort()
	return nil
}
