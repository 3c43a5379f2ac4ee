package launch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// Streams of a transcript Line.
const (
	// StreamLog is a line of the extension's SDK logger.
	StreamLog = "log"
	// StreamStderr is a plain line the extension wrote to stderr.
	StreamStderr = "stderr"
	// StreamStdout is a line the extension wrote to stdout after the
	// handshake (go-plugin carries it to lychd; it does not disturb the
	// protocol).
	StreamStdout = "stdout"
)

// Line is one line an extension wrote while it ran.
type Line struct {
	// Stream is StreamLog, StreamStderr or StreamStdout.
	Stream string `json:"stream"`
	// Level is the level of a log line ("info", "error", ...); empty for
	// plain output.
	Level string `json:"level,omitempty"`
	// Text is the line: "message: key=value ..." (keys sorted) for a log
	// line, the text as written for plain output.
	Text string `json:"text"`
}

// String renders the line as lychd shows it: "[INFO] message: k=v" for a
// log line, "stderr: TEXT" or "stdout: TEXT" for plain output.
func (l Line) String() string {
	if l.Stream == StreamLog {
		return "[" + strings.ToUpper(l.Level) + "] " + l.Text
	}
	return l.Stream + ": " + l.Text
}

// Transcript bounds: the lines kept per launch, and the longest line.
const (
	MaxTranscriptLines = 1000
	maxTranscriptLine  = 4 << 10
)

// transcript collects what one extension process writes: its log lines
// (hclog JSON on its stderr, go-plugin's machinery inside the extension
// left out), its plain stderr and its stdout, in the order they arrive,
// and passes each line on to forward.
type transcript struct {
	forward hclog.Logger

	mu      sync.Mutex
	lines   []Line
	dropped int
}

func newTranscript(forward hclog.Logger) *transcript { return &transcript{forward: forward} }

// Lines returns the lines so far, with a note first when some were
// dropped.
func (t *transcript) Lines() []Line {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Line, 0, len(t.lines)+1)
	if t.dropped > 0 {
		out = append(out, Line{Stream: StreamLog, Level: "warn", Text: fmt.Sprintf("lychd dropped the first %d lines of this launch; it keeps the last %d", t.dropped, MaxTranscriptLines)})
	}
	return append(out, t.lines...)
}

// add records one complete line of stream.
func (t *transcript) add(stream, text string) {
	text = strings.TrimRight(text, "\r")
	if strings.TrimSpace(text) == "" {
		return
	}
	l := Line{Stream: stream, Text: text}
	if stream == StreamStderr && strings.HasPrefix(text, "{") {
		if entry, machinery, ok := parseLogLine(text); ok {
			if machinery {
				return
			}
			l = entry
		}
	}
	if len(l.Text) > maxTranscriptLine {
		l.Text = l.Text[:maxTranscriptLine] + "…"
	}
	t.mu.Lock()
	if len(t.lines) == MaxTranscriptLines {
		t.lines = append(t.lines[:0], t.lines[1:]...)
		t.dropped++
	}
	t.lines = append(t.lines, l)
	t.mu.Unlock()
	if l.Stream == StreamLog {
		t.forward.Log(hclog.LevelFromString(l.Level), l.Text)
	} else {
		t.forward.Info(l.String())
	}
}

// parseLogLine turns one hclog JSON line into a log Line. machinery is true
// for go-plugin's own messages inside the extension (module NAME.go-plugin).
// ok is false when the line is not an hclog line.
func parseLogLine(text string) (l Line, machinery, ok bool) {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return Line{}, false, false
	}
	msg, hasMsg := m["@message"].(string)
	level, hasLevel := m["@level"].(string)
	if !hasMsg || !hasLevel {
		return Line{}, false, false
	}
	if mod, _ := m["@module"].(string); strings.HasSuffix(mod, ".go-plugin") || mod == "go-plugin" {
		return Line{}, true, true
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !strings.HasPrefix(k, "@") && k != "timestamp" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(msg)
	for i, k := range keys {
		if i == 0 {
			b.WriteString(":")
		}
		b.WriteString(" " + k + "=" + renderValue(m[k]))
	}
	return Line{Stream: StreamLog, Level: level, Text: b.String()}, false, true
}

// renderValue renders one logged value: strings as written (quoted when
// they hold a space, a quote or a line break), anything else as JSON.
func renderValue(v any) string {
	if s, ok := v.(string); ok {
		if s == "" || strings.ContainsAny(s, " \t\n\r\"=") {
			return fmt.Sprintf("%q", s)
		}
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// lineWriter splits writes into lines for a transcript.
type lineWriter struct {
	t      *transcript
	stream string
	mu     sync.Mutex
	buf    bytes.Buffer
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			break
		}
		line := string(w.buf.Next(i + 1))
		w.t.add(w.stream, strings.TrimSuffix(line, "\n"))
	}
	if w.buf.Len() > maxTranscriptLine {
		w.t.add(w.stream, w.buf.String())
		w.buf.Reset()
	}
	return len(p), nil
}

// flush records a last line left without a line break.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		w.t.add(w.stream, w.buf.String())
		w.buf.Reset()
	}
}

// machineryLogger is the logger go-plugin gets on the host side: its own
// messages ("plugin process exited", "plugin address", ...) are lychd's
// machinery, reported at debug level only; lychd explains failures itself
// (a kill after a failure is lychd stopping the extension on purpose, not
// a crash). The extension's own output does not go through it: go-plugin's
// named loggers are switched off, and the transcript reads the streams.
type machineryLogger struct{ hclog.Logger }

var offLogger = hclog.New(&hclog.LoggerOptions{Level: hclog.Off, Output: io.Discard})

func (m machineryLogger) Log(level hclog.Level, msg string, args ...any) {
	m.Logger.Log(min(level, hclog.Debug), msg, args...)
}
func (m machineryLogger) Info(msg string, args ...any)  { m.Logger.Debug(msg, args...) }
func (m machineryLogger) Warn(msg string, args ...any)  { m.Logger.Debug(msg, args...) }
func (m machineryLogger) Error(msg string, args ...any) { m.Logger.Debug(msg, args...) }
func (m machineryLogger) IsInfo() bool                  { return m.Logger.IsDebug() }
func (m machineryLogger) IsWarn() bool                  { return m.Logger.IsDebug() }
func (m machineryLogger) IsError() bool                 { return m.Logger.IsDebug() }
func (m machineryLogger) With(args ...any) hclog.Logger {
	return machineryLogger{m.Logger.With(args...)}
}
func (m machineryLogger) Named(string) hclog.Logger      { return offLogger }
func (m machineryLogger) ResetNamed(string) hclog.Logger { return offLogger }
