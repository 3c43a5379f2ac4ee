// Package realpodman is lychd's real-container test bed: a throwaway Debian
// trixie machine booted under systemd-nspawn (pure cgroup v2) in which an
// unprivileged user runs rootless Podman 5.4 with real containers, so that
// tests can run lychd's generated units exactly as a user's host runs them.
//
// Start (or Boot, for one test) boots a volatile copy of the root file
// system that scripts/ensure-deps.sh caches, creates the user User (uid
// 1000, subordinate ids, lingering, a running user manager), works around
// what nspawn denies (containers.conf, a tmpfs graph root, /dev/net/tun), installs a
// fake CDI GPU (nvidia.com/gpu=all, device node /dev/nvidia-fake, env
// FAKE_GPU=all) and loads the test image (see Image and
// testimage/entry.sh), which is built from the machine's own static busybox
// since no registry is reachable. Tests then run commands as root (Run) or
// as the user (User, Lychd), write the user's files (WriteUserFile,
// WriteCodex), and read what Podman did (Events, Containers) and what
// systemd did (Units).
//
// The machine shares the host's network namespace: a port the pod publishes
// answers on the host's 127.0.0.1 (see FreePorts, Page). Resource limits
// cannot be enforced in the machine (its cgroup tree has no controllers).
package realpodman

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/e2e"
)

// The user that runs rootless Podman and lychd in the machine.
const (
	// User is the user's name.
	User = "magus"
	// UID is the user's uid and gid.
	UID = 1000
	// Home is the user's home directory.
	Home = "/home/" + User
	// RuntimeDir is the user's XDG_RUNTIME_DIR.
	RuntimeDir = "/run/user/1000"
	// CodexDir is the user's Codex.
	CodexDir = Home + "/.config/lychd"
	// CryptDir is lychd's data directory (the Crypt) of the user.
	CryptDir = Home + "/.local/share/lychd"
)

// RootFSEnv overrides the root file system's location.
const RootFSEnv = "LYCHD_E2E_PODMAN_ROOTFS"

// DefaultRootFS is $LYCHD_E2E_PODMAN_ROOTFS or the trixie root file system
// that scripts/ensure-deps.sh caches.
func DefaultRootFS() string {
	if p := os.Getenv(RootFSEnv); p != "" {
		return p
	}
	return filepath.Join(e2e.CacheDir(), "e2e-podman-rootfs")
}

// busyboxPath is the static busybox inside the root file system.
const busyboxPath = "usr/bin/busybox"

// Options configure Start.
type Options struct {
	// Lychd is a host path to lychd as e2e's build helpers build it; it
	// is mounted at e2e.LychdPath (what else it needs beside it, e2e
	// mounts too). Empty mounts none.
	Lychd string
	// RootFS is the root file system (used read-only through an overlay);
	// empty means DefaultRootFS.
	RootFS string
	// Timeout bounds boot and setup; default 2 minutes.
	Timeout time.Duration
}

// Bed is a booted machine ready for rootless Podman. Its methods may be
// called from one goroutine at a time. The embedded Machine runs commands
// as root.
type Bed struct {
	*e2e.Machine
	// SetupTime is how long the user's setup took after boot, until the
	// user manager ran.
	SetupTime time.Duration
	// ImageTime is how long building and loading the test image, and
	// creating Podman's pause image, took.
	ImageTime time.Duration
}

// Check fills in opts' defaults and reports the first missing
// prerequisite: root, systemd-nspawn and nsenter, a complete root file
// system. Under the project's rule the caller skips or, with CI=true,
// fails (e2e.Unavailable).
func Check(opts Options) (Options, error) {
	if err := e2e.CheckHost(); err != nil {
		return opts, err
	}
	if opts.RootFS == "" {
		opts.RootFS = DefaultRootFS()
	}
	if _, err := os.Stat(filepath.Join(opts.RootFS, e2e.RootFSStamp)); err != nil {
		return opts, fmt.Errorf("no complete real-Podman root file system at %s", opts.RootFS)
	}
	if opts.Lychd != "" {
		if _, err := os.Stat(opts.Lychd); err != nil {
			return opts, fmt.Errorf("lychd binary: %w", err)
		}
	}
	return opts, nil
}

// Boot checks the prerequisites (skipping, or failing under CI=true, when
// one is missing), starts a bed for t alone and closes it when t ends.
func Boot(t testing.TB, opts Options) *Bed {
	t.Helper()
	opts, err := Check(opts)
	if err != nil {
		e2e.Unavailable(t, err.Error())
	}
	b, err := Start(opts)
	if b != nil {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("realpodman: last journal lines of machine %s:\n%s", b.Name, b.Journal(200))
			}
			if err := b.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	if err != nil {
		t.Fatalf("realpodman: %v", err)
	}
	return b
}

//go:embed setup.sh
var setupSh string

// Start boots a bed; opts must have passed Check. The caller must Close it,
// also when Start returns an error with a non-nil bed.
func Start(opts Options) (*Bed, error) {
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	busybox, err := os.ReadFile(filepath.Join(opts.RootFS, busyboxPath))
	if err != nil {
		return nil, fmt.Errorf("reading the machine's busybox for the test image: %w", err)
	}
	deadline := time.Now().Add(opts.Timeout)
	m, err := e2e.Start(e2e.Options{
		RootFS:      opts.RootFS,
		Lychd:       opts.Lychd,
		OwnPodman:   true,
		BootTimeout: opts.Timeout,
		// The host is hybrid: without the unified hierarchy the machine's
		// rootless Podman falls back to cgroupfs and Quadlet's
		// --cgroups=split fails in crun.
		NspawnEnv: []string{"SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1"},
	})
	if m == nil {
		return nil, err
	}
	b := &Bed{Machine: m}
	if err != nil {
		return b, err
	}

	start := time.Now()
	if _, stderr, err := b.Exec(nil, "sh", "-c", setupSh); err != nil {
		return b, fmt.Errorf("setting up rootless Podman: %w\n%s", err, stderr)
	}
	for {
		state, _, _ := b.user("systemctl", "--user", "is-system-running")
		state = strings.TrimSpace(state)
		if state == "running" || state == "degraded" {
			break
		}
		if time.Now().After(deadline) {
			return b, fmt.Errorf("the user manager of %s is %q, not running, at the timeout", User, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.SetupTime = time.Since(start)

	start = time.Now()
	var archive bytes.Buffer
	if err := WriteImageArchive(&archive, busybox); err != nil {
		return b, err
	}
	const archivePath = "/var/tmp/lychd-test-image.tar"
	if err := os.WriteFile(b.HostPath(archivePath), archive.Bytes(), 0o644); err != nil {
		return b, fmt.Errorf("writing the test image: %w", err)
	}
	if _, stderr, err := b.user("podman", "load", "-q", "-i", archivePath); err != nil {
		return b, fmt.Errorf("loading the test image: %w\n%s", err, stderr)
	}
	_ = os.Remove(b.HostPath(archivePath))
	// Podman builds its pause image at the first pod's creation; build it
	// now so that every test's first pod starts as later ones do.
	if _, stderr, err := b.user("sh", "-c", "podman pod create --name lychd-bed-warmup >/dev/null && podman pod rm lychd-bed-warmup >/dev/null"); err != nil {
		return b, fmt.Errorf("creating Podman's pause image: %w\n%s", err, stderr)
	}
	b.ImageTime = time.Since(start)
	return b, nil
}

// Close powers the machine off and removes everything it left on the host.
func (b *Bed) Close() error { return b.Machine.Close() }

// userEnv is the environment of the user's login session.
var userEnv = []string{
	"HOME=" + Home, "USER=" + User, "LOGNAME=" + User,
	"XDG_RUNTIME_DIR=" + RuntimeDir,
	"DBUS_SESSION_BUS_ADDRESS=unix:path=" + RuntimeDir + "/bus",
}

func (b *Bed) user(args ...string) (stdout, stderr string, err error) {
	argv := append([]string{"runuser", "-u", User, "--", "env"}, userEnv...)
	return b.Exec(nil, append(argv, args...)...)
}

// User runs a command as the user, in the user's session environment
// (HOME, XDG_RUNTIME_DIR, the session bus), as a login would.
func (b *Bed) User(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return b.user(args...)
}

// MustUser is User that fails the test when the command fails, and
// returns its standard output.
func (b *Bed) MustUser(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := b.user(args...)
	if err != nil {
		t.Fatalf("realpodman: %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// Systemctl runs `systemctl --user ARGS` as the user and fails the test
// when it fails.
func (b *Bed) Systemctl(t testing.TB, args ...string) string {
	t.Helper()
	return b.MustUser(t, append([]string{"systemctl", "--user"}, args...)...)
}

// Lychd runs the mounted lychd as the user.
func (b *Bed) Lychd(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return b.user(append([]string{e2e.LychdPath}, args...)...)
}

// MustLychd is Lychd that fails the test when lychd fails, and returns its
// standard output.
func (b *Bed) MustLychd(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := b.Lychd(t, args...)
	if err != nil {
		t.Fatalf("realpodman: lychd %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// WriteUserFile writes content to p (absolute, under Home) inside the
// machine, owned by the user, creating missing directories (owned by the
// user too).
func (b *Bed) WriteUserFile(t testing.TB, p, content string) {
	t.Helper()
	if err := b.writeUserFile(p, []byte(content)); err != nil {
		t.Fatalf("realpodman: %v", err)
	}
}

func (b *Bed) writeUserFile(p string, content []byte) error {
	if !strings.HasPrefix(p, Home+"/") {
		return fmt.Errorf("%s is not under %s", p, Home)
	}
	if err := b.MkdirUser(path.Dir(p)); err != nil {
		return err
	}
	hp := b.HostPath(p)
	if err := os.WriteFile(hp, content, 0o644); err != nil {
		return err
	}
	return os.Lchown(hp, UID, UID)
}

// MkdirUser creates directory p (absolute, under Home) and its missing
// parents inside the machine, owned by the user.
func (b *Bed) MkdirUser(p string) error {
	if p != Home && !strings.HasPrefix(p, Home+"/") {
		return fmt.Errorf("%s is not under %s", p, Home)
	}
	var missing []string
	for d := p; d != Home; d = path.Dir(d) {
		if _, err := os.Lstat(b.HostPath(d)); err == nil {
			break
		}
		missing = append(missing, d)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		hp := b.HostPath(missing[i])
		if err := os.Mkdir(hp, 0o755); err != nil {
			return err
		}
		if err := os.Lchown(hp, UID, UID); err != nil {
			return err
		}
	}
	return nil
}

// WriteCodex replaces the user's Codex with files (paths relative to
// CodexDir, e.g. "lychd.toml", "soulstones/x.toml").
func (b *Bed) WriteCodex(t testing.TB, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(b.HostPath(CodexDir)); err != nil {
		t.Fatalf("realpodman: %v", err)
	}
	for name, content := range files {
		b.WriteUserFile(t, path.Join(CodexDir, name), content)
	}
}

// Reset returns the machine to the state Start left it in: every lychd
// unit stopped, every container, pod, volume and secret removed, lychd's units,
// Codex, Crypt and cache gone (also files a container wrote as a
// subordinate id), systemd reloaded with no failed units. Images stay.
func (b *Bed) Reset(t testing.TB) {
	t.Helper()
	// Queue the stops, then kill the containers so that no stop waits for
	// a container's stop delay: a unit with a queued stop job is not
	// restarted. The second stop waits for the jobs.
	script := `systemctl --user stop --no-block 'lychd-*'
podman kill --all >/dev/null 2>&1
systemctl --user stop 'lychd-*' &&
podman pod rm --all --force --time 0 >/dev/null &&
podman rm --all --force --time 0 >/dev/null &&
podman volume rm --all --force >/dev/null &&
podman secret rm --all >/dev/null &&
podman unshare rm -rf ~/.config/lychd ~/.local/share/lychd ~/.cache/lychd ~/.config/containers/systemd ~/.config/systemd/user &&
systemctl --user daemon-reload &&
systemctl --user reset-failed`
	b.MustUser(t, "sh", "-c", script)
	if out := b.MustUser(t, "podman", "ps", "--all", "--quiet"); out != "" {
		t.Fatalf("realpodman: containers left after Reset:\n%s", out)
	}
}

// FreePorts returns n distinct TCP ports on 127.0.0.1 that nothing listens
// on now; the machine shares the host's network namespace, so a port a test
// publishes must be one that no other test, in this or another process,
// uses. It holds each port until it has them all: ports taken one at a
// time may repeat.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("realpodman: finding a free port: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// Page fetches http://127.0.0.1:PORT/PATH from the host (a port the pod
// publishes) and returns the body of a 200 answer.
func Page(ctx context.Context, port int, p string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, p), nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(body), fmt.Errorf("GET 127.0.0.1:%d%s: %s", port, p, resp.Status)
	}
	return string(body), nil
}

// WaitPage polls Page until it returns want or within has passed; a
// container's unit is active once Podman started it, its server listens a
// moment later. It fails the test with the last answer.
func WaitPage(t testing.TB, port int, p, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, err := Page(context.Background(), port, p)
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("realpodman: 127.0.0.1:%d%s answered %q (error: %v) for %v, want %q", port, p, got, err, within, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
