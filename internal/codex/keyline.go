package codex

import (
	"strconv"
	"strings"
)

// KeyLine returns the line of lychd.toml (MainFile) that writes the key at
// path, e.g. KeyLine("extensions", "whisper", "model_size"), with "[N]"
// for element N of an array, or else the line of the closest parent that
// lychd.toml writes; ok is false when lychd.toml writes none of them. It
// lets a problem found later in an [extensions.NAME] table, by the
// extension, be reported at its line.
func (c *Codex) KeyLine(path ...string) (line int, ok bool) {
	if c.mainPositions == nil || len(path) == 0 {
		return 0, false
	}
	var p keyPath
	for _, s := range path {
		if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil && strings.HasPrefix(s, "[") {
			p = p.index(n)
		} else {
			p = p.child(s)
		}
	}
	ps := c.mainPositions
	if ps.root.children[p[0]] == nil {
		return 0, false
	}
	return ps.line(p), true
}
