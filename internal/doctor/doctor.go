// Package doctor checks that a machine can run the Sepulcher: Podman and
// its Quadlet generator, cgroups v2, the systemd user manager, lingering,
// subordinate ids, the CDI specs, host ports, images and secrets the
// manifest needs, the Codex and whether a bind is pending.
//
// Each check is data (a name and a function of an Env) and reports ok,
// warn or fail, with a message and, for anything not ok, the fix. Every
// probe of the host goes through the Host interface, so that a test can
// play any machine.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"sync"

	"github.com/lychd/lychd/internal/model"
)

// Status is the outcome of one check.
type Status string

// Statuses. Only StatusFail makes the machine unfit; a warning says what
// will happen (an image pulled on first start, a bind to run).
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

// Result is the outcome of one check, or of one item a check covers (an
// image, a port, a secret, a device).
type Result struct {
	// Check names the check, e.g. "podman" or "image docker.io/x/y:1".
	Check  string `json:"check"`
	Status Status `json:"status"`
	// Message says what was found.
	Message string `json:"message"`
	// Fix is what to do about it; empty when Status is ok.
	Fix string `json:"fix,omitempty"`
}

// Check is one check of the machine.
type Check struct {
	// Name is the check's name in the output.
	Name string
	// Run performs the check; it returns one result, or one per item for
	// the checks that cover several (images, ports, secrets, devices).
	Run func(ctx context.Context, e *Env) []Result
}

// User is the user lychd runs as.
type User struct {
	Name string
	UID  int
}

// Env is everything the checks read: the host, the user, and lychd's own
// state as the caller found it.
type Env struct {
	Host Host
	User User
	// Home is the user's home directory, where the %h of the core's
	// mount sources points.
	Home string
	// CodexDir is the Codex's directory, for messages.
	CodexDir string
	// CDISpecDirs are the directories Podman reads CDI specs from.
	CDISpecDirs []string
	// CodexErr is why the Codex does not load (codex.Errors for problems
	// in its files), nil when it loads.
	CodexErr error
	// Bound describes the bound generation, nil when nothing is bound.
	Bound *Bound
	// BoundErr is why the bound record cannot be read (a damaged record,
	// or one of another layout version).
	BoundErr error
	// Manifest is the manifest whose needs are checked (ports, images,
	// devices, secrets): the bound one, or the one the next bind would
	// bind. Nil when there is none; ManifestErr then says why.
	Manifest *model.Manifest
	// ManifestFrom says which manifest Manifest is, for the messages.
	ManifestFrom string
	ManifestErr  error
	// Secrets returns the Podman secrets the manifest's units need (see
	// ManifestSecrets).
	Secrets func(*model.Manifest) []SecretUse
}

// SecretUse is one Podman secret a unit needs.
type SecretUse struct {
	// Name is the Podman secret's name.
	Name string
	// Who needs it, for messages: "core rune phylactery", "soulstone x".
	Who string
	// Core is true for the secrets of lychd's own core runes, which
	// lychd init creates.
	Core bool
}

// ManifestSecrets returns the Podman secrets the units of manifest m name
// (their Secret= lines): each rune's, in the order of the runes (one-shots
// last), then the portals', which the Vessel receives.
func ManifestSecrets(m *model.Manifest) []SecretUse {
	var out []SecretUse
	// One-shots last: a secret is named after the service that keeps
	// running with it (the Vessel) rather than the task it requires.
	runes := m.SortedRunes()
	sort.SliceStable(runes, func(i, j int) bool {
		return runes[i].Kind != model.KindOneShot && runes[j].Kind == model.KindOneShot
	})
	for _, r := range runes {
		for _, s := range r.Secrets {
			out = append(out, SecretUse{Name: s.Name, Who: owner(r), Core: r.Source.Kind == model.SourceCore})
		}
	}
	for _, a := range m.Animators {
		for _, s := range a.Secrets {
			out = append(out, SecretUse{Name: s.Name, Who: "portal " + a.Name})
		}
	}
	return out
}

// Bound is what the checks need to know of the bound generation.
type Bound struct {
	// Generation is the generation's directory name, e.g. "gen-3".
	Generation string
	// Changed says what changed since the bind ("the Codex", "extension
	// x"); empty when nothing did.
	Changed []string
}

// Run runs the checks, all at once (most wait for podman), and returns
// their results in the order of the checks.
func Run(ctx context.Context, e *Env, checks []Check) []Result {
	results := make([][]Result, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.Run(ctx, e)
		}()
	}
	wg.Wait()
	var out []Result
	for _, rs := range results {
		out = append(out, rs...)
	}
	return out
}

// Failed reports whether any result is a failure.
func Failed(rs []Result) bool {
	for _, r := range rs {
		if r.Status == StatusFail {
			return true
		}
	}
	return false
}

// Host is every probe of the machine the checks make. The checks call it
// from several goroutines at once.
type Host interface {
	// Run runs a program and returns its standard output. The error
	// matches exec.ErrNotFound when the program is not installed, and is
	// an *ExitError when it ran and failed.
	Run(ctx context.Context, name string, args ...string) ([]byte, error)
	// ReadFile reads a file.
	ReadFile(name string) ([]byte, error)
	// Exists reports whether a file exists; the error is for anything
	// but its absence (e.g. a permission denied).
	Exists(name string) (bool, error)
	// Listen tries to listen on a TCP or UDP address and stops at once.
	Listen(network, address string) error
	// UserManager connects to the user's systemd manager and disconnects.
	UserManager(ctx context.Context) error
}

// ExitError is a program that ran and exited with a non-zero status.
type ExitError struct {
	Code int
	// Stderr is what it wrote to its standard error, trimmed.
	Stderr string
}

func (e *ExitError) Error() string {
	if e.Stderr == "" {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return fmt.Sprintf("exit status %d: %s", e.Code, e.Stderr)
}

// exitCode returns the exit code of a program that ran and failed, and
// false for any other error.
func exitCode(err error) (int, bool) {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code, true
	}
	return 0, false
}

// notInstalled reports whether err says the program is not installed.
func notInstalled(err error) bool { return errors.Is(err, exec.ErrNotFound) }

func ok(check, format string, args ...any) Result {
	return Result{Check: check, Status: StatusOK, Message: fmt.Sprintf(format, args...)}
}

func warn(check, fix, format string, args ...any) Result {
	return Result{Check: check, Status: StatusWarn, Message: fmt.Sprintf(format, args...), Fix: fix}
}

func fail(check, fix, format string, args ...any) Result {
	return Result{Check: check, Status: StatusFail, Message: fmt.Sprintf(format, args...), Fix: fix}
}

// firstLine returns the first line of s, trimmed.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
