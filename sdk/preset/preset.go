package preset

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/lychd/lychd/sdk/validate"
)

// StandardPort is the Sepulcher standard: every soulstone serves its API and
// its metrics on this port inside the pod unless the soulstone sets another.
const StandardPort = 8081

// Preset is one inference engine's defaults. Its TOML form is a table of
// presets.toml or a [presets.NAME] table of lychd.toml; its JSON form is
// what an extension registers. Every field is optional except Image and
// Exec.
type Preset struct {
	// Description is one line naming the engine and its hardware.
	Description string `toml:"description" json:"description,omitempty"`
	// Image is the container image.
	Image string `toml:"image" json:"image"`
	// Exec is the argument vector for the image's entrypoint, with
	// placeholders (see package doc).
	Exec []string `toml:"exec" json:"exec"`
	// Model says how a model reference becomes arguments. Absent: the
	// engine takes no model (e.g. a TTS server with its model baked in).
	Model *ModelArgs `toml:"model" json:"model,omitempty"`
	// Devices are CDI names or /dev paths the engine needs.
	Devices []string `toml:"devices" json:"devices,omitempty"`
	// Volumes are "SRC:DST[:OPTIONS]" specs, e.g. a named volume for the
	// model cache.
	Volumes []string `toml:"volumes" json:"volumes,omitempty"`
	// Environment holds variables with placeholders in their values.
	Environment map[string]string `toml:"environment" json:"environment,omitempty"`
	// ShmSize is the /dev/shm size the engine needs, as Podman writes sizes
	// ("16g", "512m"). Containers of a pod share the pod's IPC namespace and
	// /dev/shm, so it is applied to the pod, not to the container.
	ShmSize string `toml:"shm_size" json:"shm_size,omitempty"`
	// StartTimeoutSeconds bounds image pull, model download and load.
	StartTimeoutSeconds int `toml:"start_timeout_seconds" json:"start_timeout_seconds,omitempty"`
	// Health is the container health check.
	Health *HealthCheck `toml:"health" json:"health,omitempty"`
	// Metrics says where the engine's Prometheus metrics are.
	Metrics *Metrics `toml:"metrics" json:"metrics,omitempty"`
	// Capabilities are the Animator capabilities a soulstone of this engine
	// has unless it lists its own.
	Capabilities []string `toml:"capabilities" json:"capabilities,omitempty"`
}

// ModelArgs maps each kind of model reference to the arguments that place
// it. A kind whose list is empty is refused for this engine.
type ModelArgs struct {
	// HuggingFace are the arguments for a Hugging Face repository id such
	// as "Qwen/Qwen2.5-7B-Instruct"; {model} is the id.
	HuggingFace []string `toml:"huggingface" json:"huggingface,omitempty"`
	// Path are the arguments for an absolute path inside the container,
	// which must lie in one of the soulstone's volumes; {model} is the path.
	Path []string `toml:"path" json:"path,omitempty"`
	// QuantSuffix allows a Hugging Face id to end in ":TAG" (llama.cpp's
	// "-hf user/model:Q4_K_M").
	QuantSuffix bool `toml:"quant_suffix" json:"quant_suffix,omitempty"`
}

// HealthCheck is a command Podman runs inside the container (HealthCmd=),
// so it must use a program the image has.
type HealthCheck struct {
	// Cmd is the argument vector, run without a shell; placeholders allowed.
	Cmd []string `toml:"cmd" json:"cmd"`
	// Endpoint is the HTTP path the check asks, for humans and the Vessel.
	Endpoint string `toml:"endpoint" json:"endpoint,omitempty"`
	// IntervalSeconds, TimeoutSeconds and Retries tune the check
	// (defaults 10, 5 and 3). The start period is the start timeout.
	IntervalSeconds int `toml:"interval_seconds" json:"interval_seconds,omitempty"`
	TimeoutSeconds  int `toml:"timeout_seconds" json:"timeout_seconds,omitempty"`
	Retries         int `toml:"retries" json:"retries,omitempty"`
}

// Metrics says where the engine's Prometheus metrics are and how a series
// names the soulstone that produced it.
type Metrics struct {
	// Path is the HTTP path on the engine's port, e.g. "/metrics".
	Path string `toml:"path" json:"path"`
	// Prefix starts every metric name the engine exports, e.g. "vllm:".
	Prefix string `toml:"prefix" json:"prefix"`
	// IdentityLabel is a label every engine series carries whose value the
	// preset controls, e.g. vLLM's "model_name"; empty when there is none.
	IdentityLabel string `toml:"identity_label" json:"identity_label,omitempty"`
	// Identity is that label's value, with placeholders ("{name}" when the
	// preset passes --served-model-name {name}).
	Identity string `toml:"identity" json:"identity,omitempty"`
}

// Health check defaults.
const (
	DefaultHealthInterval = 10
	DefaultHealthTimeout  = 5
	DefaultHealthRetries  = 3
)

// PresetError is a problem with one preset.
type PresetError struct {
	// Preset is the preset's name.
	Preset string
	// Key is the offending key, e.g. "exec[2]" or "health.cmd"; empty for
	// the preset as a whole.
	Key string
	// Msg says what is wrong and how to fix it.
	Msg string
}

func (e *PresetError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("preset %q: %s", e.Preset, e.Msg)
	}
	return fmt.Sprintf("preset %q: %s: %s", e.Preset, e.Key, e.Msg)
}

// ValidatePresetName checks a preset name: a lower-case letter, then
// lower-case letters and digits, with single "." or "-" between them (e.g.
// "vllm", "llama.cpp", "vllm-nightly"), at most 63 characters.
func ValidatePresetName(s string) error {
	const how = `use a lower-case letter, then a-z, 0-9 and single "." or "-" (e.g. "llama.cpp" or "vllm-nightly")`
	if s == "" || len(s) > validate.MaxNameLen {
		return fmt.Errorf("preset name %q must be 1 to %d characters; %s", s, validate.MaxNameLen, how)
	}
	if s[0] < 'a' || s[0] > 'z' {
		return fmt.Errorf("preset name %q does not start with a lower-case letter; %s", s, how)
	}
	prevSep := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'):
			prevSep = false
		case c == '.' || c == '-':
			if prevSep {
				return fmt.Errorf("preset name %q has two separators in a row; %s", s, how)
			}
			prevSep = true
		default:
			return fmt.Errorf("preset name %q contains %q; %s", s, c, how)
		}
	}
	if prevSep {
		return fmt.Errorf("preset name %q ends with a separator; end it with a letter or digit", s)
	}
	return nil
}

// Validate checks every field of p, named name, and returns all problems
// found, in key order, or nil.
func (p *Preset) Validate(name string) []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, &PresetError{Preset: name, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if err := ValidatePresetName(name); err != nil {
		errs = append(errs, &PresetError{Preset: name, Msg: err.Error()})
	}
	if p.Description != "" {
		if err := validate.Description(p.Description); err != nil {
			add("description", "%v", err)
		}
	}
	if p.Image == "" {
		add("image", `missing; every preset names its image, e.g. image = "docker.io/vllm/vllm-openai:latest"`)
	} else if err := validate.Image(p.Image); err != nil {
		add("image", "%v", err)
	}
	hasModel := p.Model != nil
	if len(p.Exec) == 0 {
		add("exec", `missing; list the entrypoint arguments, e.g. exec = ["{model_args}", "--port", "{port}"]`)
	}
	usesModel := false
	execOK := true
	spliced := 0
	for i, a := range p.Exec {
		key := fmt.Sprintf("exec[%d]", i)
		names, err := CheckTemplate(a, hasModel)
		if err != nil {
			add(key, "%v", err)
			execOK = false
			continue
		}
		for _, n := range names {
			switch n {
			case PlaceholderModelArgs:
				spliced++
				usesModel = true
			case PlaceholderModel:
				usesModel = true
			}
		}
	}
	if spliced > 1 {
		add("exec", "uses {model_args} %d times; place the model once", spliced)
	}
	if hasModel {
		errs = append(errs, p.Model.validate(name)...)
		if !usesModel && len(p.Exec) > 0 && execOK {
			add("exec", `has a [model] table but never uses {model_args} or {model}; add "{model_args}" where the model belongs`)
		}
	}
	for i, d := range p.Devices {
		if err := validate.Device(d); err != nil {
			add(fmt.Sprintf("devices[%d]", i), "%v", err)
		}
	}
	dsts := map[string]int{}
	for i, v := range p.Volumes {
		key := fmt.Sprintf("volumes[%d]", i)
		if err := validate.Volume(v); err != nil {
			add(key, "%v", err)
			continue
		}
		dst := VolumeDest(v)
		if j, dup := dsts[dst]; dup {
			add(key, "mounts at %s like volumes[%d]; give each volume its own container path", dst, j)
		}
		dsts[dst] = i
	}
	for _, k := range sortedKeys(p.Environment) {
		key := "environment." + k
		if err := validate.EnvName(k); err != nil {
			add(key, "%v", err)
			continue
		}
		if err := validate.EnvValue(p.Environment[k]); err != nil {
			add(key, "%v", err)
			continue
		}
		if _, err := CheckTemplate(p.Environment[k], hasModel); err != nil {
			add(key, "%v", err)
		}
	}
	if p.ShmSize != "" {
		if err := ValidateShmSize(p.ShmSize); err != nil {
			add("shm_size", "%v", err)
		}
	}
	if p.StartTimeoutSeconds != 0 {
		if p.StartTimeoutSeconds < 1 || p.StartTimeoutSeconds > 86400 {
			add("start_timeout_seconds", "%d is out of range; use 1 to 86400 seconds", p.StartTimeoutSeconds)
		}
	}
	if p.Health != nil {
		errs = append(errs, p.Health.validate(name, hasModel)...)
	}
	if p.Metrics != nil {
		errs = append(errs, p.Metrics.validate(name, hasModel)...)
	}
	for i, c := range p.Capabilities {
		if err := validate.Capability(c); err != nil {
			add(fmt.Sprintf("capabilities[%d]", i), "%v", err)
		}
	}
	return errs
}

// CheckTemplate validates one template string: plain text whose
// placeholders are known and available. It returns the placeholders used.
func CheckTemplate(s string, hasModel bool) ([]string, error) {
	if err := validate.ExecArg(s); err != nil {
		return nil, err
	}
	names, err := Placeholders(s)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if (n == PlaceholderModel || n == PlaceholderModelArgs) && !hasModel {
			return nil, fmt.Errorf("%q uses {%s}, but the preset has no [model] table; add one saying how a model is passed, or remove the placeholder", s, n)
		}
	}
	return names, nil
}

func (m *ModelArgs) validate(preset string) []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, &PresetError{Preset: preset, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if len(m.HuggingFace) == 0 && len(m.Path) == 0 {
		add("model", "lists no arguments; set huggingface = [...] and/or path = [...], e.g. path = [\"--model\", \"{model}\"]")
	}
	for _, kv := range []struct {
		kind string
		args []string
	}{{"model.huggingface", m.HuggingFace}, {"model.path", m.Path}} {
		kind, args := kv.kind, kv.args
		used := false
		for i, a := range args {
			key := fmt.Sprintf("%s[%d]", kind, i)
			if a == ModelArgsElement {
				add(key, "uses {model_args}; the model arguments cannot contain themselves, use {model}")
				continue
			}
			names, err := CheckTemplate(a, true)
			if err != nil {
				add(key, "%v", err)
				continue
			}
			for _, n := range names {
				if n == PlaceholderModel {
					used = true
				}
			}
		}
		if len(args) > 0 && !used {
			add(kind, "never uses {model}; the model reference would be lost")
		}
	}
	return errs
}

func (h *HealthCheck) validate(preset string, hasModel bool) []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, &PresetError{Preset: preset, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if len(h.Cmd) == 0 {
		add("health.cmd", `missing; give the command Podman runs inside the container, e.g. cmd = ["curl", "-fsS", "http://127.0.0.1:{port}/health"], or remove the [health] table`)
	}
	for i, a := range h.Cmd {
		if _, err := CheckTemplate(a, hasModel); err != nil {
			add(fmt.Sprintf("health.cmd[%d]", i), "%v", err)
		}
	}
	if h.Endpoint != "" && !strings.HasPrefix(h.Endpoint, "/") {
		add("health.endpoint", "%q is not an HTTP path; start it with \"/\", e.g. \"/health\"", h.Endpoint)
	}
	for _, f := range []struct {
		key       string
		v, lo, hi int
	}{
		{"health.interval_seconds", h.IntervalSeconds, 1, 3600},
		{"health.timeout_seconds", h.TimeoutSeconds, 1, 3600},
		{"health.retries", h.Retries, 1, 100},
	} {
		if f.v != 0 && (f.v < f.lo || f.v > f.hi) {
			add(f.key, "%d is out of range; use %d to %d", f.v, f.lo, f.hi)
		}
	}
	return errs
}

func (m *Metrics) validate(preset string, hasModel bool) []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, &PresetError{Preset: preset, Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if !strings.HasPrefix(m.Path, "/") || strings.ContainsAny(m.Path, " ?#") || path.Clean(m.Path) != m.Path {
		add("metrics.path", "%q is not a clean HTTP path; write e.g. \"/metrics\", or remove the [metrics] table when the engine exports none", m.Path)
	}
	if !validMetricPrefix(m.Prefix) {
		add("metrics.prefix", "%q is not a metric name prefix; write the start every metric name shares, e.g. \"vllm:\"", m.Prefix)
	}
	switch {
	case m.IdentityLabel == "" && m.Identity != "":
		add("metrics.identity", "is set without identity_label; name the label that carries it, e.g. identity_label = \"model_name\"")
	case m.IdentityLabel != "" && m.Identity == "":
		add("metrics.identity", "missing; give the value identity_label has, e.g. identity = \"{name}\"")
	case m.IdentityLabel != "":
		if !validLabelName(m.IdentityLabel) || strings.HasPrefix(m.IdentityLabel, "__") {
			add("metrics.identity_label", "%q is not a Prometheus label name; use letters, digits and \"_\", not starting with a digit or \"__\"", m.IdentityLabel)
		}
		if _, err := CheckTemplate(m.Identity, hasModel); err != nil {
			add("metrics.identity", "%v", err)
		}
	}
	return errs
}

// validMetricPrefix accepts a non-empty prefix of a Prometheus metric name:
// [a-zA-Z_:][a-zA-Z0-9_:]*.
func validMetricPrefix(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

func validLabelName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9') {
			continue
		}
		return false
	}
	return true
}

// ValidateShmSize checks a /dev/shm size as Podman reads it
// (validate.ShmSize).
func ValidateShmSize(s string) error { return validate.ShmSize(s) }

// ShmBytes converts a size accepted by ValidateShmSize to bytes
// (validate.SizeBytes).
func ShmBytes(s string) (int64, error) { return validate.SizeBytes(s) }

// VolumeDest returns the container path of a validated volume spec.
func VolumeDest(v string) string {
	return strings.Split(v, ":")[1]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// LargestShmSize returns the largest of sizes (each accepted by
// ValidateShmSize; empty ones are skipped), or "" when all are empty. The
// pod's ShmSize= must be at least the largest size its soulstones need.
func LargestShmSize(sizes ...string) (string, error) {
	best, bestBytes := "", int64(0)
	for _, s := range sizes {
		if s == "" {
			continue
		}
		n, err := ShmBytes(s)
		if err != nil {
			return "", err
		}
		if n > bestBytes {
			best, bestBytes = s, n
		}
	}
	return best, nil
}

// MinMemory is the smallest memory limit ValidateMemory accepts
// (validate.MinMemory).
const MinMemory = validate.MinMemory

// ValidateMemory checks a container memory limit as Podman's --memory
// reads it (validate.Memory).
func ValidateMemory(s string) error { return validate.Memory(s) }
