package codex

import (
	"strings"

	"github.com/lychd/lychd/internal/spelling"
)

// suggest returns the known key the user most likely meant by key: an
// explicit alias (e.g. "gpu" for "devices"), else the closest known key by
// edit distance when it is close enough to be a typo, else "".
func suggest(key string, known []string, aliases map[string]string) string {
	lower := strings.ToLower(key)
	if s, ok := aliases[lower]; ok {
		return s
	}
	limit := 1
	if len(key) >= 5 {
		limit = 2
	}
	return spelling.Closest(lower, known, limit)
}
