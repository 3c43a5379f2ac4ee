// Package tail keeps the last bytes written to it, so that an extension's
// stderr can be quoted in an error message without holding all of it.
package tail

import (
	"encoding/json"
	"sort"
	"strings"
	"sync"
)

// MaxLine is the longest line Lines returns; longer ones are cut.
const MaxLine = 400

// Buffer is a bounded, concurrency-safe io.Writer that keeps the last Max
// bytes written to it. The zero value keeps nothing; use New.
type Buffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped bool
}

// New returns a Buffer keeping the last max bytes.
func New(max int) *Buffer { return &Buffer{max: max} }

// Write keeps the tail of p; it never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if len(p) >= b.max {
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
		b.dropped = true
		return n, nil
	}
	if over := len(b.buf) + len(p) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.dropped = true
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

// Lines returns up to n last non-empty lines, oldest first. Lines written by
// an hclog JSON logger are rendered as "[LEVEL] message key=value" and
// dropped at debug and trace level; a partial first line left by truncation
// is dropped too.
func (b *Buffer) Lines(n int) []string {
	b.mu.Lock()
	text := string(b.buf)
	dropped := b.dropped
	b.mu.Unlock()
	raw := strings.Split(text, "\n")
	if dropped {
		if len(raw) > 1 {
			raw = raw[1:]
		} else {
			raw[0] = "…" + raw[0]
		}
	}
	var out []string
	for _, l := range raw {
		l = strings.TrimRight(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if r := render(l); r != "" {
			if len(r) > MaxLine {
				r = r[:MaxLine] + "…"
			}
			out = append(out, r)
		}
	}
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}

// render turns one hclog JSON line into text, or "" for a debug or trace
// line (go-plugin's chatter, never what explains a failure); other lines
// pass through.
func render(line string) string {
	if !strings.HasPrefix(line, "{") {
		return line
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		return line
	}
	msg, ok := m["@message"].(string)
	if !ok {
		return line
	}
	level, _ := m["@level"].(string)
	if level == "debug" || level == "trace" {
		return ""
	}
	var sb strings.Builder
	if level != "" {
		sb.WriteString("[" + strings.ToUpper(level) + "] ")
	}
	sb.WriteString(msg)
	keys := make([]string, 0, len(m))
	for k := range m {
		if !strings.HasPrefix(k, "@") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, err := json.Marshal(m[k])
		if err != nil {
			continue
		}
		sb.WriteString(" " + k + "=" + string(v))
	}
	return sb.String()
}
