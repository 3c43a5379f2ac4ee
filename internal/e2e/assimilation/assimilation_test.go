// Package assimilation is the end-to-end test of the extension path: the real
// lychd binary installs the three example extensions into a sandbox HOME,
// binds them with the core and the demo Codex, and the real Quadlet 5.4
// generator and systemd-analyze accept what it wrote.
package assimilation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/host/hosttest"
	"github.com/lychd/lychd/internal/e2e"
	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/verify"
)

var examples = []string{"vision-organ", "tts-organ", "portal-organ"}

type sandbox struct {
	lychd, home string
}

func (s *sandbox) run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(s.lychd, args...)
	cmd.Env = []string{"HOME=" + s.home, "PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + filepath.Join(s.home, "run")}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

func (s *sandbox) must(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := s.run(t, args...)
	if err != nil {
		t.Fatalf("lychd %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestInstallBindVerify(t *testing.T) {
	quadlet := testtool.Quadlet(t)
	testtool.SystemdAnalyze(t)
	root, err := testtool.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	s := &sandbox{lychd: e2e.BuildLychd(t), home: t.TempDir()}
	copyDir(t, filepath.Join(root, "examples", "codex"), filepath.Join(s.home, ".config", "lychd"))
	for _, name := range examples {
		bin := e2e.BuildStatic(t, "github.com/lychd/lychd/plugins/examples/"+name)
		out := s.must(t, "extension", "install", bin)
		if !strings.HasPrefix(out, "Installed extension "+name+" 0.1.0 (protocol 2, sha256 ") {
			t.Errorf("install %s printed:\n%s", name, out)
		}
	}

	t0 := time.Now()
	out := s.must(t, "bind", "--json", "--no-reload")
	cold := time.Since(t0)
	var res struct {
		Changed    bool     `json:"changed"`
		Files      int      `json:"files"`
		Extensions []string `json:"extensions"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bind --json: %v\n%s", err, out)
	}
	if !res.Changed || res.Files != 16 {
		t.Errorf("bind: changed=%v files=%d, want a change of 16 files", res.Changed, res.Files)
	}
	if len(res.Extensions) != 4 {
		t.Errorf("extensions = %q, want the core and three examples", res.Extensions)
	}
	t.Logf("cold bind of core + 3 extensions: %v; %s", cold, strings.Join(res.Extensions, "; "))

	// What the real generator sees through the binding site.
	dirs := verify.Dirs{Quadlet: filepath.Join(s.home, ".config", "containers", "systemd"), Systemd: filepath.Join(s.home, ".config", "systemd", "user")}
	if err := verify.QuadletDryRun(context.Background(), quadlet, dirs); err != nil {
		t.Error(err)
	}
	if err := verify.SystemdVerify(context.Background(), quadlet, dirs); err != nil {
		t.Error(err)
	}

	// A second bind changes nothing.
	t0 = time.Now()
	if out := s.must(t, "bind", "--no-reload"); out != "Nothing to do: 16 files are already bound.\n" {
		t.Errorf("second bind printed %q", out)
	}
	t.Logf("warm bind: %v", time.Since(t0))

	// Removing an extension whose coven an alliance names makes the next
	// bind fail (a typo in an alliance must not silently make covens
	// hostile); once the alliance goes, its runes go.
	s.must(t, "extension", "remove", "tts-organ")
	_, errOut, err := s.run(t, "bind", "--no-reload")
	want := "lychd: bind: nothing was written:\nlychd.toml: alliances: unknown coven \"xtts\": no soulstone belongs to it (known covens: reasoning, vision, vision-ocr); remove it from the alliance or add a soulstone with groups = [\"xtts\"]\n"
	if err == nil || !strings.HasSuffix(errOut, want) {
		t.Errorf("bind after removing tts-organ: err %v, stderr:\n%s\nwant suffix:\n%s", err, errOut, want)
	}
	toml := filepath.Join(s.home, ".config", "lychd", "lychd.toml")
	data, err := os.ReadFile(toml)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte(`alliances = [["reasoning", "xtts"]]`), nil, 1)
	if err := os.WriteFile(toml, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out = s.must(t, "bind", "--no-reload")
	if !strings.Contains(out, "remove ~/.config/containers/systemd/lychd/lychd-soulstone-xtts.container") {
		t.Errorf("bind after removing tts-organ printed:\n%s", out)
	}
}

// TestTamperedExtensionWritesNothing: a binary changed after install fails the
// bind with an actionable error and the binding site stays as it was.
func TestTamperedExtensionWritesNothing(t *testing.T) {
	s := &sandbox{lychd: e2e.BuildLychd(t), home: t.TempDir()}
	bin := e2e.BuildStatic(t, "github.com/lychd/lychd/plugins/examples/tts-organ")
	s.must(t, "extension", "install", bin)
	s.must(t, "bind", "--no-reload")
	installed := filepath.Join(s.home, ".local", "share", "lychd", "extensions", "tts-organ", "lychd-ext-tts-organ")
	before, err := os.ReadFile(filepath.Join(s.home, ".config", "containers", "systemd", "lychd", "lychd-soulstone-xtts.container"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(installed, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0})
	f.Close()
	// Make the Codex change so that a bind would have something to write.
	os.MkdirAll(filepath.Join(s.home, ".config", "lychd", "soulstones"), 0o755)
	os.WriteFile(filepath.Join(s.home, ".config", "lychd", "soulstones", "a.toml"), []byte("[a]\nimage = \"ghcr.io/example/a:1\"\n"), 0o644)
	out, errOut, err := s.run(t, "bind", "--no-reload")
	if err == nil {
		t.Fatalf("bind with a tampered extension succeeded:\n%s", out)
	}
	if !strings.Contains(errOut, `extension "tts-organ"`) || !strings.Contains(errOut, "lychd extension install") {
		t.Errorf("error does not name the extension and the fix:\n%s", errOut)
	}
	after, err := os.ReadFile(filepath.Join(s.home, ".config", "containers", "systemd", "lychd", "lychd-soulstone-xtts.container"))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("binding site changed after a failed bind")
	}
	if _, err := os.Stat(filepath.Join(s.home, ".config", "containers", "systemd", "lychd", "lychd-soulstone-a.container")); !os.IsNotExist(err) {
		t.Errorf("a failed bind wrote the new soulstone")
	}
}

// TestExtensionWritingToTheBindingSite: a real extension that writes a unit
// into the Quadlet directory while it is assimilated fails the bind with a
// clear error, and lychd writes nothing.
func TestExtensionWritingToTheBindingSite(t *testing.T) {
	dir, err := hosttest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	s := &sandbox{lychd: e2e.BuildLychd(t), home: t.TempDir()}
	s.must(t, "extension", "install", filepath.Join(dir, "actor"))
	s.must(t, "bind", "--no-reload")
	planted := filepath.Join(s.home, ".config", "containers", "systemd", "evil.container")
	codexDir := filepath.Join(s.home, ".config", "lychd")
	if err := os.MkdirAll(codexDir, 0o755); err != nil {
		t.Fatal(err)
	}
	toml := "[extensions.actor]\nWriteFile = \"" + planted + "\"\n"
	if err := os.WriteFile(filepath.Join(codexDir, "lychd.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	gens := func() []string {
		ents, _ := os.ReadDir(filepath.Join(s.home, ".local", "share", "lychd", "bindings"))
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	}
	before := gens()
	_, errOut, err := s.run(t, "bind", "--no-reload")
	want := "lychd: bind: nothing was written: the binding site changed while the extensions were being assimilated (~/.config/containers/systemd/evil.container); an extension, or another program such as a second lychd bind, wrote to it. Run lychd bind again; if this repeats with no other bind running, look for the extension that writes there with lychd extension inspect NAME\n"
	if err == nil || errOut != want {
		t.Errorf("err %v, stderr:\n%s\nwant:\n%s", err, errOut, want)
	}
	if after := gens(); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("bindings changed: %v -> %v", before, after)
	}
}

// TestCommandsAfterBindNeedNoExtension: a second bind takes every
// registration from the cache (no launch), and once bound, animators reads
// the bound record: it answers in full with every extension binary gone.
func TestCommandsAfterBindNeedNoExtension(t *testing.T) {
	s := &sandbox{lychd: e2e.BuildLychd(t), home: t.TempDir()}
	bin := e2e.BuildStatic(t, "github.com/lychd/lychd/plugins/examples/tts-organ")
	s.must(t, "extension", "install", bin)
	if out := s.must(t, "extension", "list"); !strings.Contains(out, "tts-organ") {
		t.Errorf("extension list:\n%s", out)
	}
	first := s.must(t, "bind", "--no-reload", "--json")
	second := s.must(t, "bind", "--no-reload", "--json")
	if !strings.Contains(first, "tts-organ 0.1.0 (launch ") || !strings.Contains(second, "tts-organ 0.1.0 (cached; ") || !strings.Contains(second, `"changed": false`) {
		t.Errorf("first bind:\n%s\nsecond bind:\n%s", first, second)
	}
	before := s.must(t, "animators", "--json")
	if !strings.Contains(before, `"name": "xtts"`) {
		t.Fatalf("animators:\n%s", before)
	}
	if err := os.RemoveAll(filepath.Join(s.home, ".local", "share", "lychd", "extensions", "tts-organ")); err != nil {
		t.Fatal(err)
	}
	if after := s.must(t, "animators", "--json"); after != before {
		t.Errorf("animators with the extension's binary gone:\n%s\nwant:\n%s", after, before)
	}
}

// TestKilledLychdLeavesNothing: SIGKILL the lychd command in the middle of
// a cold bind and nothing it started survives: not the extension, not what
// the extension forked.
func TestKilledLychdLeavesNothing(t *testing.T) {
	marker := fmt.Sprintf("killed%d", time.Now().UnixNano())
	s := actorSandbox(t, "[assimilation]\ndeadline_seconds = 120\n\n[extensions.actor]\nForkStay = true\nHang = true\nMarker = \""+marker+"\"\n")
	lychd := s.lychd
	tmp := t.TempDir()
	env := []string{"HOME=" + s.home, "PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + filepath.Join(s.home, "run"), "TMPDIR=" + tmp}
	cmd := exec.Command(lychd, "bind", "--no-reload")
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dirs := []string{filepath.Dir(lychd), filepath.Join(s.home, ".local", "share", "lychd", "extensions")}
	deadline := time.Now().Add(20 * time.Second)
	for len(hosttest.Leftovers(marker)) == 0 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the extension's child never appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	running := hosttest.Leftovers("", dirs...)
	if n := len(running); n < 2 {
		t.Errorf("%d processes of lychd and the extension running, want at least 2: %v", n, running)
	}
	checkLaunchTree(t, cmd.Process.Pid, running)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline = time.Now().Add(5 * time.Second)
	for left := hosttest.Leftovers(marker, dirs...); len(left) > 0; left = hosttest.Leftovers(marker, dirs...) {
		if time.Now().After(deadline) {
			for _, p := range left {
				syscall.Kill(p.Pid, syscall.SIGKILL)
			}
			t.Fatalf("outlived a SIGKILLed lychd: %v", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Nothing in the temporary directory but lychd's own process directory
	// (the extension's socket went there), and the next lychd that
	// launches an extension removes what the killed one left in it.
	litter := func() []string {
		var out []string
		filepath.Walk(tmp, func(p string, fi os.FileInfo, err error) error {
			if err == nil && p != tmp {
				rel, _ := filepath.Rel(tmp, p)
				out = append(out, rel)
			}
			return nil
		})
		return out
	}
	for _, p := range litter() {
		if !strings.HasPrefix(p, "lychd-") {
			t.Errorf("the killed bind left %s in TMPDIR (all: %v)", p, litter())
		}
	}
	codexDir := filepath.Join(s.home, ".config", "lychd")
	if err := os.WriteFile(filepath.Join(codexDir, "lychd.toml"), []byte("[extensions.actor]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	again := exec.Command(lychd, "bind", "--no-reload")
	again.Env = env
	if out, err := again.CombinedOutput(); err != nil {
		t.Fatalf("bind after the kill: %v\n%s", err, out)
	}
	if got := litter(); len(got) != 1 || !strings.HasPrefix(got[0], "lychd-") {
		t.Errorf("TMPDIR after the next bind: %v, want lychd's process directory alone, empty", got)
	}
}

// checkLaunchTree checks how a cold bind runs: lychd starts the extension
// itself, as the init of a PID namespace inside a user namespace of its
// own.
func checkLaunchTree(t *testing.T, lychdPid int, running []hosttest.Proc) {
	t.Helper()
	var ext int
	for _, p := range running {
		if strings.HasPrefix(p.Cmdline, "lychd-ext-actor") {
			ext = p.Pid
		}
	}
	if ext == 0 {
		t.Fatalf("the extension not found among %v", running)
	}
	if got := parentOf(ext); got != lychdPid {
		t.Errorf("the extension's parent is %d, want lychd %d", got, lychdPid)
	}
	ns := func(pid int, kind string) string {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, kind))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	for _, kind := range []string{"user", "pid"} {
		if ns(ext, kind) == ns(lychdPid, kind) {
			t.Errorf("the extension shares lychd's %s namespace %s", kind, ns(lychdPid, kind))
		}
	}
}

// parentOf returns the parent pid of pid (0 when it is gone).
func parentOf(pid int) int {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(stat), ')')
	var state byte
	var ppid int
	if i < 0 {
		return 0
	}
	if _, err := fmt.Sscanf(string(stat[i+2:]), "%c %d", &state, &ppid); err != nil {
		return 0
	}
	return ppid
}

// nobody is the unprivileged user TestRootlessBindIsolatesExtensions runs
// lychd as.
const nobody = 65534

// lychd runs rootless: as an unprivileged user, a cold bind starts the
// extension with no capability at all, as the init of its own PID
// namespace, in a user namespace of its own that maps only the user's uid.
// The extension reports how it ran in the description of a rune.
func TestRootlessBindIsolatesExtensions(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run lychd as another, unprivileged user; run unprivileged, every test already does")
	}
	dir, err := hosttest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	// Everything nobody uses lives under one directory it can reach.
	base := t.TempDir()
	for d := base; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin, err := e2e.BuildLychdTo(filepath.Join(base, "bin"))
	if err != nil {
		t.Fatal(err)
	}
	actor := filepath.Join(base, "lychd-ext-actor")
	data, err := os.ReadFile(filepath.Join(dir, "actor"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(actor, data, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(base, "home")
	codexDir := filepath.Join(home, ".config", "lychd")
	if err := os.MkdirAll(codexDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(codexDir, "lychd.toml"), []byte("[extensions.actor]\nReportProcess = true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := filepath.Walk(home, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + filepath.Join(home, "run")}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("lychd %s as uid %d: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), nobody, err, out.String(), errOut.String())
		}
		return out.String()
	}
	run("extension", "install", actor)
	run("bind", "--no-reload")
	report, fields := processReport(t, home)
	for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapAmb"} {
		if fields[k] != "0000000000000000" {
			t.Errorf("%s = %q, want no capability (report %q)", k, fields[k], report)
		}
	}
	if nspid := strings.Split(fields["NSpid"], ","); len(nspid) != 2 || nspid[1] != "1" {
		t.Errorf("NSpid %q, want the init (1) of one nested PID namespace (report %q)", fields["NSpid"], report)
	}
	if want := fmt.Sprintf("%d,%d,1", nobody, nobody); fields["uid_map"] != want {
		t.Errorf("uid_map %q, want %q: a user namespace mapping only the user (report %q)", fields["uid_map"], want, report)
	}
}

// Where the kernel refuses new user and PID namespaces (here: inside a user
// namespace whose limits are 0, so nothing outside changes), a cold bind
// still assimilates: the extensions run unisolated, and lychd says so and
// what it means, as SECURITY.md does.
func TestBindWithoutNamespaces(t *testing.T) {
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatal("needs util-linux unshare (scripts/ensure-deps.sh installs it)")
	}
	s := actorSandbox(t, "[extensions.actor]\nReportProcess = true\n")
	lychd := s.lychd
	script := `echo 0 > /proc/sys/user/max_user_namespaces && echo 0 > /proc/sys/user/max_pid_namespaces && exec "$@"`
	cmd := exec.Command("unshare", "--user", "--map-current-user", "sh", "-c", script, "sh", lychd, "bind", "--no-reload", "--json")
	cmd.Env = []string{"HOME=" + s.home, "PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + filepath.Join(s.home, "run")}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("bind with namespaces refused: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), `"actor 1.0.0 (launch `) {
		t.Errorf("the extension was not launched:\n%s", out.String())
	}
	if want := "lychd: warning: " + host.UnisolatedWarning + "\n"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr:\n%s\nwant the warning:\n%s", errOut.String(), want)
	}
	// One PID namespace level, the one this test runs in: none of the
	// extension's own.
	if report, fields := processReport(t, s.home); fields["NSpid"] == "" || strings.Contains(fields["NSpid"], ",") {
		t.Errorf("NSpid %q, want one level (report %q)", fields["NSpid"], report)
	}
}

// processReport returns the description of the rune "process" that the
// actor registers with ReportProcess, bound under home, and its fields.
func processReport(t *testing.T, home string) (string, map[string]string) {
	t.Helper()
	unit, err := os.ReadFile(filepath.Join(home, ".config", "containers", "systemd", "lychd", "lychd-soulstone-process.container"))
	if err != nil {
		t.Fatal(err)
	}
	var report string
	for _, line := range strings.Split(string(unit), "\n") {
		if d, ok := strings.CutPrefix(line, "Description="); ok {
			report = d
		}
	}
	fields := map[string]string{}
	for _, kv := range strings.Fields(report) {
		k, v, _ := strings.Cut(kv, "=")
		fields[k] = v
	}
	return report, fields
}

// actorSandbox builds lychd, installs the actor test extension in a new
// sandbox HOME and writes toml as its lychd.toml.
func actorSandbox(t *testing.T, toml string) *sandbox {
	t.Helper()
	dir, err := hosttest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	s := &sandbox{lychd: e2e.BuildLychd(t), home: t.TempDir()}
	s.must(t, "extension", "install", filepath.Join(dir, "actor"))
	codexDir := filepath.Join(s.home, ".config", "lychd")
	if err := os.MkdirAll(codexDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(codexDir, "lychd.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}
