package engine

import (
	"sort"
	"time"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/preset"
)

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
// the presets' defaults (preset.DefaultHealthInterval,
// preset.DefaultHealthTimeout, preset.DefaultHealthRetries) and r's start
// timeout as the start period. An empty cmd leaves r without a health
// check.
func OwnHealth(r *model.Rune, cmd []string) {
	if len(cmd) == 0 {
		return
	}
	r.HealthCmd = append([]string(nil), cmd...)
	r.HealthInterval = preset.DefaultHealthInterval * time.Second
	r.HealthTimeout = preset.DefaultHealthTimeout * time.Second
	r.HealthRetries = preset.DefaultHealthRetries
	r.HealthStartPeriod = r.StartTimeout
}
