package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// LaunchLogName is the file under a sandbox HOME that the benchmark
// extension (testdata/minext) appends a line to on every launch, when it
// exists.
const LaunchLogName = "lychd-bench-launches"

// Sandbox is a throwaway HOME in which the real lychd binary runs.
type Sandbox struct {
	// Lychd is the lychd binary.
	Lychd string
	// Home is the sandbox HOME; XDG variables are unset, so lychd uses
	// its defaults under it, and XDG_RUNTIME_DIR points at Home/run, where
	// no systemd user manager listens.
	Home string
}

// Env is the environment lychd runs with.
func (s *Sandbox) Env() []string {
	return []string{"HOME=" + s.Home, "PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + filepath.Join(s.Home, "run")}
}

// Command returns the command running lychd with args in the sandbox.
func (s *Sandbox) Command(args ...string) *exec.Cmd {
	cmd := exec.Command(s.Lychd, args...)
	cmd.Env = s.Env()
	return cmd
}

// Run runs lychd with args and returns its stdout; a failure carries
// stderr.
func (s *Sandbox) Run(args ...string) (string, error) {
	cmd := s.Command(args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("lychd %s: %w\nstderr:\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), nil
}

// CacheDir is lychd's cache directory in the sandbox (the registration
// cache lives under it).
func (s *Sandbox) CacheDir() string { return filepath.Join(s.Home, ".cache", "lychd") }

// Install runs `lychd extension install` for every binary.
func (s *Sandbox) Install(bins []string) error {
	for _, b := range bins {
		if _, err := s.Run("extension", "install", b); err != nil {
			return err
		}
	}
	return nil
}

// StartCountingLaunches creates (or empties) the launch log, so that the
// benchmark extension records its launches from now on.
func (s *Sandbox) StartCountingLaunches() error {
	return os.WriteFile(filepath.Join(s.Home, LaunchLogName), nil, 0o644)
}

// Launches returns the number of launches recorded since
// StartCountingLaunches and empties the log.
func (s *Sandbox) Launches() (int, error) {
	p := filepath.Join(s.Home, LaunchLogName)
	data, err := os.ReadFile(p)
	if err != nil {
		return 0, fmt.Errorf("reading the launch log: %w", err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		return 0, fmt.Errorf("emptying the launch log: %w", err)
	}
	return bytes.Count(data, []byte("\n")), nil
}

// BindResult is the part of `lychd bind --json` the benchmarks read.
type BindResult struct {
	Changed    bool     `json:"changed"`
	Files      int      `json:"files"`
	Reloaded   bool     `json:"reloaded"`
	ReloadHint string   `json:"reload_hint"`
	Extensions []string `json:"extensions"`
}

// ReloadAttempted reports whether lychd asked the user manager to reload
// (successfully or, in a sandbox without one, not).
func (r *BindResult) ReloadAttempted() bool { return r.Reloaded || r.ReloadHint != "" }

// ParseBind decodes the output of `lychd bind --json`.
func ParseBind(out string) (*BindResult, error) {
	var r BindResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		return nil, fmt.Errorf("decoding the output of lychd bind --json: %w\n%s", err, out)
	}
	return &r, nil
}
