package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lychd/lychd/host/launch"
	"github.com/lychd/lychd/internal/durable"
)

// Log is what one extension wrote during its last launch: lychd keeps it in
// Options.LogDir as NAME.json, replaced at every launch, so that `lychd
// bind -v` and `lychd extension inspect --logs` can show it, even when
// the registration later comes from the cache.
type Log struct {
	Extension string `json:"extension"`
	// Version is the version the extension gave, "" when it failed before.
	Version string `json:"version,omitempty"`
	// Launched is when lychd launched it.
	Launched time.Time `json:"launched"`
	// Failure is the error of a failed assimilation, "" after success.
	Failure string `json:"failure,omitempty"`
	// Lines are its log lines, plain stderr and stdout, in order.
	Lines []launch.Line `json:"lines"`
}

// LogPath is where the log of extension name is kept under dir.
func LogPath(dir, name string) string { return filepath.Join(dir, name+".json") }

// ReadLog reads the log of extension name's last launch from dir. It
// returns an error matching fs.ErrNotExist when there is none.
func ReadLog(dir, name string) (*Log, error) {
	data, err := os.ReadFile(LogPath(dir, name))
	if err != nil {
		return nil, err
	}
	var l Log
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("reading %s: %w", LogPath(dir, name), err)
	}
	return &l, nil
}

// WriteLog replaces the log of l.Extension in dir.
func WriteLog(dir string, l *Log) error {
	if l.Lines == nil {
		l.Lines = []launch.Line{}
	}
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return durable.WriteFile(LogPath(dir, l.Extension), append(data, '\n'), 0o644)
}

// RemoveLog deletes the log of extension name, if any.
func RemoveLog(dir, name string) error {
	if err := os.Remove(LogPath(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Render writes the log's lines for a person, each prefixed with indent.
func (l *Log) Render(indent string) string {
	var b strings.Builder
	for _, line := range l.Lines {
		for i, part := range strings.Split(line.String(), "\n") {
			b.WriteString(indent)
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(part)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// keepLog records what launch p wrote (nil when the launch failed before
// a process ran: then the failure's stderr lines stand in) as the log of
// extension name. A log that cannot be written costs a warning.
func keepLog(opts Options, name, version string, launched time.Time, p *launch.Process, failure error) {
	if opts.LogDir == "" {
		return
	}
	l := &Log{Extension: name, Version: version, Launched: launched.UTC().Truncate(time.Millisecond)}
	if failure != nil {
		l.Failure = failure.Error()
	}
	switch {
	case p != nil:
		l.Lines = p.Transcript()
	case failure != nil:
		if e, ok := launchErr(failure); ok {
			for _, s := range e.Stderr {
				l.Lines = append(l.Lines, launch.Line{Stream: launch.StreamStderr, Text: s})
			}
		}
	}
	if err := WriteLog(opts.LogDir, l); err != nil {
		opts.Logger.Warn("could not keep the extension's log", "extension", name, "error", err)
	}
}
