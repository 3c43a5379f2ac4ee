package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/validate"
)

// Soulstone is what a soulstone of the Codex says about its engine: its
// name, the preset, the model, and every key it sets itself. A zero or nil
// key takes the preset's value; for list keys a non-nil empty list is a
// value ("devices = []" removes the preset's devices).
//
// Exec, ExtraArgs and HealthCmd may use the placeholders of Expand;
// environment values are taken literally.
type Soulstone struct {
	Name   string
	Engine string
	// Model is a Hugging Face id ("Qwen/Qwen2.5-7B-Instruct") or an
	// absolute path inside one of the soulstone's volumes.
	Model string

	// Image replaces the preset's image.
	Image string
	// Exec replaces the preset's argument vector.
	Exec []string
	// ExtraArgs are appended to the argument vector.
	ExtraArgs []string
	// Port replaces the Sepulcher standard port 8081.
	Port int
	// Devices replaces the preset's devices.
	Devices []string
	// Volumes are merged with the preset's: one with the same container
	// path replaces the preset's, the others are added.
	Volumes []string
	// Environment is merged with the preset's by name; the soulstone wins.
	Environment []model.EnvVar
	// ShmSize replaces the preset's shared memory size.
	ShmSize string
	// StartTimeout replaces the preset's start timeout.
	StartTimeout time.Duration
	// HealthCmd replaces the preset's health check command; an empty
	// non-nil list removes the health check.
	HealthCmd []string
	// Capabilities replaces the preset's capabilities.
	Capabilities []string
}

// ModelKind says how a model reference was given.
type ModelKind string

// The kinds of model reference.
const (
	ModelNone        ModelKind = ""
	ModelHuggingFace ModelKind = "huggingface"
	ModelPath        ModelKind = "path"
)

// Resolved is a soulstone's engine settings with every placeholder
// expanded: plain values to copy onto a model.Rune (Image, Exec, Port,
// Devices, Volumes, Environment, StartTimeout), onto the pod (ShmSize),
// onto the health check keys of its unit (Health) and into the Harvester's
// targets (Metrics).
type Resolved struct {
	Name        string
	Engine      string
	Description string
	ModelKind   ModelKind
	Model       string
	Image       string
	Exec        []string
	Port        int
	Devices     []string
	Volumes     []string
	// Environment is sorted by name.
	Environment []model.EnvVar
	// ShmSize is the /dev/shm size the engine needs; the pod's ShmSize=
	// must be at least the largest of its soulstones'. Empty: no need.
	ShmSize      string
	StartTimeout time.Duration
	// Health is nil when the soulstone has no health check.
	Health *Health
	// Metrics is nil when the engine exports none.
	Metrics      *ResolvedMetrics
	Capabilities []string
	// Filled lists every value with where it came from, in the order
	// Explain prints them.
	Filled []Filled
}

// Health is a resolved health check.
type Health struct {
	// Cmd runs inside the container, without a shell.
	Cmd      []string
	Endpoint string
	Interval time.Duration
	Timeout  time.Duration
	// StartPeriod is the start timeout: failures while the model loads do
	// not count.
	StartPeriod time.Duration
	Retries     int
}

// CmdJSON renders Cmd as the JSON array Podman's --health-cmd (Quadlet
// HealthCmd=) runs in exec form, without a shell.
func (h *Health) CmdJSON() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(h.Cmd) // a []string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// ResolvedMetrics says where a soulstone's metrics are and which label
// value names it.
type ResolvedMetrics struct {
	Port          int
	Path          string
	Prefix        string
	IdentityLabel string
	Identity      string
}

// Filled is one resolved value and its origin, for "lychd bind --dry-run".
type Filled struct {
	// Key is the soulstone key, e.g. "image" or "environment.HF_HOME".
	Key string `json:"key"`
	// Value is the value as TOML, e.g. "\"docker.io/vllm/vllm-openai:latest\"".
	Value string `json:"value"`
	// From is "preset vllm (built in)", "soulstone" or "Sepulcher standard".
	From string `json:"from"`
}

// FieldError is a problem with one key of a soulstone that uses an engine.
type FieldError struct {
	Soulstone string
	// Key is the soulstone key, e.g. "model" or "exec[3]".
	Key string `json:"key"`
	Msg string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s.%s: %s", e.Soulstone, e.Key, e.Msg)
}

// FromSoulstone and FromStandard are the origins in Filled that are not a
// preset.
const (
	FromSoulstone = "soulstone"
	FromStandard  = "Sepulcher standard"
)

// Resolve combines the preset s.Engine names with s. It returns every
// problem it finds, joined, each a *FieldError.
func (r *Registry) Resolve(s Soulstone) (Resolved, error) {
	p, source, ok := r.Lookup(s.Engine)
	if !ok {
		return Resolved{}, &FieldError{Soulstone: s.Name, Key: "engine", Msg: unknownEngine(s.Engine, r.Names())}
	}
	res := &resolver{s: s, p: p, from: fmt.Sprintf("preset %s (%s)", s.Engine, source)}
	return res.resolve()
}

type resolver struct {
	s    Soulstone
	p    preset.Preset
	from string
	errs []error
	out  Resolved
	// modelOK is false once a model problem is reported; templates that
	// use {model} are then not expanded, which would only repeat it.
	modelOK bool
}

func (r *resolver) fail(key, format string, args ...any) {
	r.errs = append(r.errs, &FieldError{Soulstone: r.s.Name, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (r *resolver) fill(key string, v any, from string) {
	r.out.Filled = append(r.out.Filled, Filled{Key: key, Value: tomlValue(v), From: from})
}

// origin names where a value came from: the soulstone when it set the
// key, else the preset.
func (r *resolver) origin(set bool) string {
	if set {
		return FromSoulstone
	}
	return r.from
}

func (r *resolver) resolve() (Resolved, error) {
	s, p := r.s, r.p
	out := &r.out
	out.Name, out.Engine, out.Description = s.Name, s.Engine, p.Description
	r.fill("engine", s.Engine, FromSoulstone)

	// Image.
	out.Image = p.Image
	if s.Image != "" {
		out.Image = s.Image
		if err := validate.Image(s.Image); err != nil {
			r.fail("image", "%v", err)
		}
	}
	r.fill("image", out.Image, r.origin(s.Image != ""))

	// Port.
	out.Port = preset.StandardPort
	portFrom := FromStandard
	if s.Port != 0 {
		out.Port, portFrom = s.Port, FromSoulstone
		if err := validate.Port(s.Port); err != nil {
			r.fail("port", "%v", err)
		}
	}
	r.fill("port", out.Port, portFrom)

	// Volumes first: a model path must lie in one of them.
	r.volumes()

	// The argument vector and the model.
	execTmpl := p.Exec
	if s.Exec != nil {
		execTmpl = s.Exec
		if len(s.Exec) == 0 {
			r.fail("exec", "is empty; leave it out to use the preset's arguments, or list the full argument vector")
		}
	}
	hasModel := p.Model != nil
	usesModel := false
	tmplOK := true
	for i, a := range execTmpl {
		names, err := preset.CheckTemplate(a, hasModel)
		if err != nil {
			tmplOK = false
			if s.Exec != nil {
				r.fail(fmt.Sprintf("exec[%d]", i), "%v", err)
			}
			continue
		}
		usesModel = usesModel || contains(names, preset.PlaceholderModel) || contains(names, preset.PlaceholderModelArgs)
	}
	for i, a := range s.ExtraArgs {
		key := fmt.Sprintf("extra_args[%d]", i)
		if a == preset.ModelArgsElement {
			r.fail(key, "{model_args} belongs in exec, which the preset already fills; remove it")
			tmplOK = false
			continue
		}
		names, err := preset.CheckTemplate(a, hasModel)
		if err != nil {
			r.fail(key, "%v", err)
			tmplOK = false
			continue
		}
		usesModel = usesModel || contains(names, preset.PlaceholderModel)
	}
	usesModel = usesModel || r.otherTemplatesUseModel()
	r.modelOK = r.model(usesModel)
	if tmplOK && r.modelOK {
		r.exec(execTmpl)
	}
	if s.Exec != nil {
		r.fill("exec", s.Exec, FromSoulstone)
	} else {
		r.fill("exec", p.Exec, r.from)
	}
	if s.ExtraArgs != nil {
		r.fill("extra_args", s.ExtraArgs, FromSoulstone)
	}

	// Devices.
	out.Devices = cloneStrings(p.Devices)
	if s.Devices != nil {
		out.Devices = cloneStrings(s.Devices)
		for i, d := range s.Devices {
			if err := validate.Device(d); err != nil {
				r.fail(fmt.Sprintf("devices[%d]", i), "%v", err)
			}
		}
	}
	if out.Devices != nil {
		r.fill("devices", out.Devices, r.origin(s.Devices != nil))
	}

	r.environment()

	// Shared memory.
	out.ShmSize = p.ShmSize
	if s.ShmSize != "" {
		out.ShmSize = s.ShmSize
		if err := preset.ValidateShmSize(s.ShmSize); err != nil {
			r.fail("shm_size", "%v", err)
		}
	}
	if out.ShmSize != "" {
		r.fill("shm_size", out.ShmSize, r.origin(s.ShmSize != ""))
	}

	// Start timeout.
	out.StartTimeout = time.Duration(p.StartTimeoutSeconds) * time.Second
	if s.StartTimeout != 0 {
		out.StartTimeout = s.StartTimeout
		if err := validate.StartTimeout(s.StartTimeout); err != nil {
			r.fail("start_timeout_seconds", "%v", err)
		}
	}
	if out.StartTimeout != 0 {
		r.fill("start_timeout_seconds", int(out.StartTimeout/time.Second), r.origin(s.StartTimeout != 0))
	}

	r.health()
	r.metrics()

	// Capabilities.
	out.Capabilities = cloneStrings(p.Capabilities)
	if s.Capabilities != nil {
		out.Capabilities = cloneStrings(s.Capabilities)
		for i, c := range s.Capabilities {
			if err := validate.Capability(c); err != nil {
				r.fail(fmt.Sprintf("capabilities[%d]", i), "%v", err)
			}
		}
	}
	if out.Capabilities != nil {
		r.fill("capabilities", out.Capabilities, r.origin(s.Capabilities != nil))
	}

	if len(r.errs) > 0 {
		return Resolved{}, errors.Join(r.errs...)
	}
	return *out, nil
}

// otherTemplatesUseModel reports whether the preset's environment, the
// health check or the metrics identity expand {model}.
func (r *resolver) otherTemplatesUseModel() bool {
	var tmpl []string
	for _, v := range r.p.Environment {
		tmpl = append(tmpl, v)
	}
	switch {
	case r.s.HealthCmd != nil:
		tmpl = append(tmpl, r.s.HealthCmd...)
	case r.p.Health != nil:
		tmpl = append(tmpl, r.p.Health.Cmd...)
	}
	if r.p.Metrics != nil {
		tmpl = append(tmpl, r.p.Metrics.Identity)
	}
	for _, s := range tmpl {
		if names, err := preset.Placeholders(s); err == nil && contains(names, preset.PlaceholderModel) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// model classifies and checks the soulstone's model reference; used says
// whether the arguments place it. It reports whether the arguments can be
// expanded.
func (r *resolver) model(used bool) bool {
	s, p := r.s, r.p
	switch {
	case s.Model == "" && used:
		r.fail("model", "missing; engine %q needs a model: %s", s.Engine, r.modelExamples())
		return false
	case s.Model == "":
		return true
	case p.Model == nil:
		r.fail("model", "engine %q takes no model (its model is part of the image); remove the key", s.Engine)
		return true
	case !used:
		r.fail("model", "%q is never passed to the engine: exec uses neither {model_args} nor {model}; add \"{model_args}\" to exec, or remove model", s.Model)
		return true
	}
	if err := validate.ExecArg(s.Model); err != nil {
		r.fail("model", "%v", err)
		return false
	}
	if strings.HasPrefix(s.Model, "/") {
		if len(p.Model.Path) == 0 {
			r.fail("model", "%q is a path, but engine %q loads models only by Hugging Face id; %s", s.Model, s.Engine, r.modelExamples())
			return false
		}
		if err := r.checkPath(s.Model); err != nil {
			r.fail("model", "%v", err)
			return false
		}
		r.out.ModelKind = ModelPath
	} else {
		if len(p.Model.HuggingFace) == 0 {
			r.fail("model", "%q is not an absolute path, and engine %q loads models only from files; %s", s.Model, s.Engine, r.modelExamples())
			return false
		}
		if err := checkHFID(s.Model, p.Model.QuantSuffix); err != nil {
			r.fail("model", "%v", err)
			return false
		}
		r.out.ModelKind = ModelHuggingFace
	}
	r.out.Model = s.Model
	r.fill("model", s.Model, FromSoulstone)
	return true
}

func (r *resolver) modelExamples() string {
	var ex []string
	if len(r.p.Model.HuggingFace) > 0 {
		id := `"Qwen/Qwen2.5-7B-Instruct"`
		if r.p.Model.QuantSuffix {
			id = `"ggml-org/gemma-3-1b-it-GGUF:Q4_K_M"`
		}
		ex = append(ex, "a Hugging Face id such as "+id)
	}
	if len(r.p.Model.Path) > 0 {
		ex = append(ex, `an absolute path inside one of its volumes such as "/models/my-model"`)
	}
	return strings.Join(ex, " or ")
}

// checkPath accepts a clean absolute path inside a volume of the soulstone.
func (r *resolver) checkPath(p string) error {
	if path.Clean(p) != p || p == "/" {
		return fmt.Errorf("model path %q is not a clean absolute path; write it without \"..\", \".\", \"//\" or a trailing \"/\", e.g. %q", p, path.Clean(p))
	}
	if strings.ContainsAny(p, " :") {
		return fmt.Errorf("model path %q contains a space or \":\"; rename the file or directory", p)
	}
	for _, v := range r.out.Volumes {
		dst := preset.VolumeDest(v)
		if p == dst || strings.HasPrefix(p, strings.TrimSuffix(dst, "/")+"/") {
			return nil
		}
	}
	var dsts []string
	for _, v := range r.out.Volumes {
		dsts = append(dsts, preset.VolumeDest(v))
	}
	where := "the soulstone has no volumes"
	if len(dsts) > 0 {
		where = "its volumes are mounted at " + strings.Join(dsts, ", ")
	}
	return fmt.Errorf("model path %q is not inside any volume of the soulstone (%s); mount the directory that holds the model, e.g. volumes = [\"/srv/models:/models:ro,Z\"], and name the model by its path in the container, e.g. \"/models/%s\"", p, where, path.Base(p))
}

// checkHFID accepts a Hugging Face repository id "owner/name", and
// "owner/name:TAG" when quant is true.
func checkHFID(id string, quant bool) error {
	how := `write "owner/name" as on huggingface.co, e.g. "Qwen/Qwen2.5-7B-Instruct", or an absolute path`
	repo, tag, hasTag := strings.Cut(id, ":")
	if hasTag && !quant {
		return fmt.Errorf("model %q has a \":\" tag, which this engine does not take; %s", id, how)
	}
	if hasTag && !validHFPart(tag) {
		return fmt.Errorf("model %q has the tag %q; a tag uses letters, digits, \"-\", \"_\" and \".\", e.g. \"Q4_K_M\"", id, tag)
	}
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || strings.Contains(name, "/") {
		return fmt.Errorf("model %q is neither a Hugging Face id nor an absolute path; %s", id, how)
	}
	for _, part := range []string{owner, name} {
		if !validHFPart(part) || len(part) > 96 || strings.Contains(part, "--") || strings.Contains(part, "..") {
			return fmt.Errorf("model %q is not a valid Hugging Face id (%q: use letters, digits, \"-\", \"_\" and \".\", at most 96, no \"--\" or \"..\"); %s", id, part, how)
		}
	}
	if strings.HasSuffix(strings.ToLower(name), ".gguf") {
		return fmt.Errorf("model %q names a file, not a repository; write the file's absolute path inside a volume, e.g. \"/models/%s\"", id, name)
	}
	return nil
}

func validHFPart(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'
		if !ok || (i == 0 && (c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// vars returns the placeholder values.
func (r *resolver) vars() map[string]string {
	v := map[string]string{
		preset.PlaceholderPort: strconv.Itoa(r.out.Port),
		preset.PlaceholderName: r.s.Name,
	}
	if r.p.Model != nil && r.out.Model != "" {
		v[preset.PlaceholderModel] = r.out.Model
	}
	return v
}

// exec expands the argument vector, splicing the model arguments.
func (r *resolver) exec(tmpl []string) {
	vars := r.vars()
	var out []string
	for i, a := range tmpl {
		if a == preset.ModelArgsElement {
			var margs []string
			switch r.out.ModelKind {
			case ModelHuggingFace:
				margs = r.p.Model.HuggingFace
			case ModelPath:
				margs = r.p.Model.Path
			}
			for _, m := range margs {
				x, err := preset.Expand(m, vars)
				if err != nil {
					r.fail("model", "%v", err)
					return
				}
				out = append(out, x)
			}
			continue
		}
		x, err := preset.Expand(a, vars)
		if err != nil {
			r.fail(fmt.Sprintf("exec[%d]", i), "%v", err)
			return
		}
		out = append(out, x)
	}
	for i, a := range r.s.ExtraArgs {
		x, err := preset.Expand(a, vars)
		if err != nil {
			r.fail(fmt.Sprintf("extra_args[%d]", i), "%v", err)
			return
		}
		out = append(out, x)
	}
	r.out.Exec = out
}

// volumes merges the soulstone's volumes into the preset's by container
// path.
func (r *resolver) volumes() {
	s, p := r.s, r.p
	out := cloneStrings(p.Volumes)
	from := make([]string, len(out))
	for i := range from {
		from[i] = r.from
	}
	index := map[string]int{}
	for i, v := range out {
		index[preset.VolumeDest(v)] = i
	}
	seen := map[string]int{}
	for i, v := range s.Volumes {
		key := fmt.Sprintf("volumes[%d]", i)
		if err := validate.Volume(v); err != nil {
			r.fail(key, "%v", err)
			continue
		}
		dst := preset.VolumeDest(v)
		if j, dup := seen[dst]; dup {
			r.fail(key, "mounts at %s like volumes[%d]; give each volume its own container path", dst, j)
			continue
		}
		seen[dst] = i
		if j, ok := index[dst]; ok {
			out[j], from[j] = v, FromSoulstone
			continue
		}
		index[dst] = len(out)
		out = append(out, v)
		from = append(from, FromSoulstone)
	}
	r.out.Volumes = out
	for i, v := range out {
		r.fill(fmt.Sprintf("volumes[%d]", i), v, from[i])
	}
}

// environment merges the soulstone's variables into the preset's by name.
func (r *resolver) environment() {
	vars := r.vars()
	env := map[string]string{}
	from := map[string]string{}
	for _, k := range sortedKeys(r.p.Environment) {
		x, err := preset.Expand(r.p.Environment[k], vars)
		if err != nil {
			if r.modelOK {
				r.fail("environment."+k, "%v", err)
			}
			continue
		}
		env[k], from[k] = x, r.from
	}
	for _, e := range r.s.Environment {
		if err := validate.EnvName(e.Name); err != nil {
			r.fail("environment."+e.Name, "%v", err)
			continue
		}
		if err := validate.EnvValue(e.Value); err != nil {
			r.fail("environment."+e.Name, "%v", err)
			continue
		}
		env[e.Name], from[e.Name] = e.Value, FromSoulstone
	}
	for _, k := range sortedKeys(env) {
		r.out.Environment = append(r.out.Environment, model.EnvVar{Name: k, Value: env[k]})
		r.fill("environment."+k, env[k], from[k])
	}
}

func (r *resolver) health() {
	s, p := r.s, r.p
	var cmd []string
	from := r.from
	switch {
	case s.HealthCmd != nil && len(s.HealthCmd) == 0:
		r.fill("health.cmd", []string{}, FromSoulstone)
		return
	case s.HealthCmd != nil:
		cmd, from = s.HealthCmd, FromSoulstone
	case p.Health != nil:
		cmd = p.Health.Cmd
	default:
		return
	}
	vars := r.vars()
	h := &Health{Interval: preset.DefaultHealthInterval * time.Second, Timeout: preset.DefaultHealthTimeout * time.Second, Retries: preset.DefaultHealthRetries, StartPeriod: r.out.StartTimeout}
	if p.Health != nil {
		h.Endpoint = p.Health.Endpoint
		if p.Health.IntervalSeconds != 0 {
			h.Interval = time.Duration(p.Health.IntervalSeconds) * time.Second
		}
		if p.Health.TimeoutSeconds != 0 {
			h.Timeout = time.Duration(p.Health.TimeoutSeconds) * time.Second
		}
		if p.Health.Retries != 0 {
			h.Retries = p.Health.Retries
		}
	}
	for i, a := range cmd {
		if _, err := preset.CheckTemplate(a, p.Model != nil); err != nil {
			r.fail(fmt.Sprintf("health.cmd[%d]", i), "%v", err)
			return
		}
		x, err := preset.Expand(a, vars)
		if err != nil {
			if r.modelOK {
				r.fail(fmt.Sprintf("health.cmd[%d]", i), "%v", err)
			}
			return
		}
		h.Cmd = append(h.Cmd, x)
	}
	r.out.Health = h
	r.fill("health.cmd", h.Cmd, from)
	if h.Endpoint != "" {
		r.fill("health.endpoint", h.Endpoint, r.from)
	}
}

func (r *resolver) metrics() {
	m := r.p.Metrics
	if m == nil {
		return
	}
	out := &ResolvedMetrics{Port: r.out.Port, Path: m.Path, Prefix: m.Prefix}
	if m.IdentityLabel != "" {
		id, err := preset.Expand(m.Identity, r.vars())
		if err != nil {
			if r.modelOK {
				r.fail("metrics.identity", "%v", err)
			}
			return
		}
		// The identity holds only while the arguments still set it (the
		// soulstone may have replaced exec); without it the Harvester
		// tells soulstones apart by metric prefix alone.
		if contains(r.out.Exec, id) {
			out.IdentityLabel, out.Identity = m.IdentityLabel, id
		}
	}
	r.out.Metrics = out
	r.fill("metrics.path", out.Path, r.from)
}

// tomlValue renders v as a TOML value.
func tomlValue(v any) string {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case string:
		return tomlString(v)
	case []string:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = tomlString(s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v)
}

// tomlString quotes s as a TOML basic string (JSON string escapes are a
// subset of TOML's).
func tomlString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// Explain renders Filled as "key = value  # origin" lines, for
// "lychd bind --dry-run". List elements that come from different places
// are shown one per line ("volumes[1] = ...").
func (r Resolved) Explain() string {
	var b strings.Builder
	for _, f := range r.Filled {
		fmt.Fprintf(&b, "%s = %s  # %s\n", f.Key, f.Value, f.From)
	}
	return b.String()
}
