package engine

import (
	"sort"
	"time"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/preset"
)

// The preset's data type and rules live in the SDK (package preset), so
// that an extension's tests apply the rules lychd applies. These names
// keep lychd's own code short.
type (
	// Preset is one inference engine's defaults (preset.Preset).
	Preset = preset.Preset
	// ModelArgs maps each kind of model reference to its arguments.
	ModelArgs = preset.ModelArgs
	// HealthCheck is a preset's container health check.
	HealthCheck = preset.HealthCheck
	// Metrics says where an engine's Prometheus metrics are.
	Metrics = preset.Metrics
	// PresetError is a problem with one preset.
	PresetError = preset.PresetError
	// PlaceholderError reports a bad placeholder in a template string.
	PlaceholderError = preset.PlaceholderError
)

// StandardPort is the Sepulcher standard port (preset.StandardPort).
const StandardPort = preset.StandardPort

// The placeholders a preset may use.
const (
	PlaceholderModel     = preset.PlaceholderModel
	PlaceholderPort      = preset.PlaceholderPort
	PlaceholderName      = preset.PlaceholderName
	PlaceholderModelArgs = preset.PlaceholderModelArgs
)

// Health check defaults (see preset.DefaultHealthInterval).
const (
	DefaultHealthInterval = preset.DefaultHealthInterval
	DefaultHealthTimeout  = preset.DefaultHealthTimeout
	DefaultHealthRetries  = preset.DefaultHealthRetries
)

// MinMemory is the smallest memory limit ValidateMemory accepts.
const MinMemory = preset.MinMemory

// Expand replaces the placeholders of s (preset.Expand).
func Expand(s string, vars map[string]string) (string, error) { return preset.Expand(s, vars) }

// ValidatePresetName checks a preset name (preset.ValidatePresetName).
func ValidatePresetName(s string) error { return preset.ValidatePresetName(s) }

// ValidateShmSize checks a /dev/shm size (preset.ValidateShmSize).
func ValidateShmSize(s string) error { return preset.ValidateShmSize(s) }

// ValidateMemory checks a container memory limit (preset.ValidateMemory).
func ValidateMemory(s string) error { return preset.ValidateMemory(s) }

// ShmBytes converts a size to bytes (preset.ShmBytes).
func ShmBytes(s string) (int64, error) { return preset.ShmBytes(s) }

// LargestShmSize returns the largest of sizes (preset.LargestShmSize).
func LargestShmSize(sizes ...string) (string, error) { return preset.LargestShmSize(sizes...) }

const modelArgsElement = preset.ModelArgsElement

func checkTemplate(s string, hasModel bool) ([]string, error) {
	return preset.CheckTemplate(s, hasModel)
}

func placeholders(s string) ([]string, error) { return preset.Placeholders(s) }

func volumeDest(v string) string { return preset.VolumeDest(v) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// OwnHealth gives r the health command cmd that its source names itself
// (a Codex soulstone's health_cmd, an extension rune's HealthCmd), with
// the presets' defaults (DefaultHealthInterval, DefaultHealthTimeout,
// DefaultHealthRetries) and r's start timeout as the start period. An
// empty cmd leaves r without a health check.
func OwnHealth(r *model.Rune, cmd []string) {
	if len(cmd) == 0 {
		return
	}
	r.HealthCmd = append([]string(nil), cmd...)
	r.HealthInterval = DefaultHealthInterval * time.Second
	r.HealthTimeout = DefaultHealthTimeout * time.Second
	r.HealthRetries = DefaultHealthRetries
	r.HealthStartPeriod = r.StartTimeout
}
