package extension

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lychd/lychd/host/hosttest"
	"github.com/lychd/lychd/internal/cmd/extension/list"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/paths"
)

type env struct {
	t        *testing.T
	home     string
	ext      string // the test extensions' build directory
	out, err bytes.Buffer
	f        *cmdutil.Factory
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ext, err := hosttest.Dir()
	if err != nil {
		t.Fatalf("building the test extensions: %v", err)
	}
	home, err := os.MkdirTemp("/dev/shm", "lychd-cmd-ext-")
	if err != nil {
		home = t.TempDir()
	} else {
		t.Cleanup(func() { os.RemoveAll(home) })
	}
	e := &env{t: t, home: home, ext: ext}
	getenv := func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	}
	e.f = &cmdutil.Factory{IO: cmdutil.IOStreams{In: strings.NewReader(""), Out: &e.out, ErrOut: &e.err}, Getenv: getenv}
	e.f.Paths = func() (paths.Paths, error) { return paths.FromEnv(getenv) }
	return e
}

// run executes `lychd extension ARGS` and returns its normalized stdout
// and error.
func (e *env) run(args ...string) (string, string) {
	e.t.Helper()
	e.out.Reset()
	e.err.Reset()
	cmd := NewCmd(e.f)
	cmd.SetArgs(args)
	cmd.SetOut(&e.out)
	cmd.SetErr(&e.err)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	msg := ""
	if err != nil {
		msg = e.norm(err.Error())
	}
	return e.norm(e.out.String()), msg
}

func (e *env) norm(s string) string {
	sum := fileSum(e.t, filepath.Join(e.ext, "actor"))
	twin := fileSum(e.t, filepath.Join(e.ext, "twin"))
	return strings.NewReplacer(e.home, "$HOME", e.ext, "$EXT", sum, "$SUM", sum[:12], "$SHORT", twin, "$TWINSUM", twin[:12], "$TWINSHORT").Replace(s)
}

func fileSum(t *testing.T, p string) string {
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func TestInstallListInspectRemove(t *testing.T) {
	e := newEnv(t)
	out, err := e.run("list")
	if want := "No extensions installed in $HOME/.local/share/lychd/extensions.\nInstall one with: lychd extension install PATH\n"; out != want || err != "" {
		t.Errorf("empty list:\n%s%s\nwant:\n%s", out, err, want)
	}

	out, err = e.run("install", filepath.Join(e.ext, "actor"))
	want := "Installed extension actor 1.0.0 (protocol 2, sha256 $SUM)\n  binary: $HOME/.local/share/lychd/extensions/actor/lychd-ext-actor\n  run \"lychd bind\" to assimilate it\n"
	if out != want || err != "" {
		t.Errorf("install:\n%s%s\nwant:\n%s", out, err, want)
	}
	out, err = e.run("install", filepath.Join(e.ext, "actor"))
	want = "Reinstalled extension actor 1.0.0 (unchanged, sha256 $SUM)\n  binary: $HOME/.local/share/lychd/extensions/actor/lychd-ext-actor\n  run \"lychd bind\" to assimilate it\n"
	if out != want || err != "" {
		t.Errorf("reinstall:\n%s%s\nwant:\n%s", out, err, want)
	}
	if _, err := e.run("install", filepath.Join(e.ext, "twin")); err != "" {
		t.Fatal(err)
	}

	// Things that are not extensions are only mentioned with --verbose.
	dir := filepath.Join(e.home, ".local/share/lychd/extensions")
	os.WriteFile(filepath.Join(dir, "actor", "lychd-ext-actor.bak"), []byte("x"), 0o755)
	out, err = e.run("list")
	want = "NAME   VERSION  PROTOCOL  SHA256        DESCRIPTION\n" +
		"actor  1.0.0    2         $SHORT  test extension actor\n" +
		"twin   2.0.0    2         $TWINSHORT  test extension twin\n"
	if out != want || err != "" {
		t.Errorf("list:\n%s%s\nwant:\n%s", out, err, want)
	}
	out, _ = e.run("list", "--verbose")
	if wantTail := "ignored: $HOME/.local/share/lychd/extensions/actor/lychd-ext-actor.bak: not the extension's binary (lychd-ext-actor)\n"; !strings.HasSuffix(out, wantTail) {
		t.Errorf("list --verbose:\n%s\nwant it to end with:\n%s", out, wantTail)
	}
	out, _ = e.run("list", "--json")
	var rep list.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	if rep.SchemaVersion != 1 || len(rep.Extensions) != 2 || rep.Extensions[0].Name != "actor" || rep.Extensions[0].SHA256 != "$SUM" ||
		rep.Extensions[0].Source != "$EXT/actor" || rep.Ignored != nil {
		t.Errorf("list --json:\n%s", out)
	}

	out, err = e.run("inspect", "actor", "--config", `{"Runes": [{"Name": "vision", "Image": "docker.io/library/alpine:3.20", "Groups": ["eyes"], "Port": 8081}], "Animators": [{"Name": "vision", "Capabilities": ["OpenAIChatCompletions"], "Tags": ["vision", "ocr"]}], "Presets": [{"Name": "vllm-rocm", "Preset": {"description": "vLLM for AMD GPUs", "image": "docker.io/rocm/vllm:latest", "exec": ["--port", "{port}"]}}]}`)
	if err != "" {
		t.Fatal(err)
	}
	installedLine := strings.Split(out, "\n")[5]
	want = "Extension:   actor 1.0.0\n" +
		"Description: test extension actor\n" +
		"Protocol:    2\n" +
		"SHA256:      $SUM\n" +
		"Size:        " + size(t, filepath.Join(e.ext, "actor")) + " bytes\n" +
		installedLine + "\n" +
		"Binary:      $HOME/.local/share/lychd/extensions/actor/lychd-ext-actor\n" +
		"Runes (1):\n" +
		"  vision  soulstone  docker.io/library/alpine:3.20\n" +
		"      unit           lychd-soulstone-vision.service\n" +
		"      covens         eyes\n" +
		"      port           8081\n" +
		"Animators (1):\n" +
		"  vision  soulstone  rune vision  capabilities OpenAIChatCompletions  tags vision,ocr\n" +
		"Engine presets (1):\n" +
		"  vllm-rocm  docker.io/rocm/vllm:latest  vLLM for AMD GPUs\n"
	if out != want {
		t.Errorf("inspect:\n%s\nwant:\n%s", out, want)
	}
	if !strings.HasPrefix(installedLine, "Installed:   20") || !strings.HasSuffix(installedLine, "Z from $EXT/actor") {
		t.Errorf("inspect: installed line %q", installedLine)
	}

	// A binary changed behind lychd's back is refused with the fix.
	bin := filepath.Join(dir, "actor", "lychd-ext-actor")
	f, _ := os.OpenFile(bin, os.O_WRONLY|os.O_APPEND, 0)
	f.Write([]byte("!"))
	f.Close()
	changed := fileSum(t, bin)
	_, err = e.run("inspect", "actor")
	want = "extension \"actor\": binary $HOME/.local/share/lychd/extensions/actor/lychd-ext-actor changed since it was installed (sha256 " + changed[:16] + "…, the lock file says $SHORT" + fileSum(t, filepath.Join(e.ext, "actor"))[12:16] + "…); if you upgraded it on purpose, reinstall it with: lychd extension install $EXT/actor"
	if err != want {
		t.Errorf("inspect tampered:\n%s\nwant:\n%s", err, want)
	}
	// list notices it too, with the same words, and still lists the rest.
	out, err = e.run("list")
	want = "NAME   VERSION  PROTOCOL  SHA256        DESCRIPTION\n" +
		"actor  1.0.0    2         $SHORT  test extension actor\n" +
		"twin   2.0.0    2         $TWINSHORT  test extension twin\n" +
		"problem: extension \"actor\": binary $HOME/.local/share/lychd/extensions/actor/lychd-ext-actor changed since it was installed (sha256 " + changed[:16] + "…, the lock file says $SHORT" + fileSum(t, filepath.Join(e.ext, "actor"))[12:16] + "…); if you upgraded it on purpose, reinstall it with: lychd extension install $EXT/actor\n"
	if out != want || err != "" {
		t.Errorf("list tampered:\n%s%s\nwant:\n%s", out, err, want)
	}

	out, err = e.run("remove", "actor")
	if want := "Removed extension actor 1.0.0\n  run \"lychd bind\" to remove its runes from the Sepulcher\n"; out != want || err != "" {
		t.Errorf("remove:\n%s%s\nwant:\n%s", out, err, want)
	}
	_, err = e.run("remove", "actor")
	if want := "extension \"actor\" is not installed; see the installed ones with: lychd extension list"; err != want {
		t.Errorf("remove again: %s\nwant: %s", err, want)
	}
	_, err = e.run("inspect", "actor")
	if want := "extension \"actor\" is not installed; see the installed ones with: lychd extension list"; err != want {
		t.Errorf("inspect removed: %s\nwant: %s", err, want)
	}
}

func size(t *testing.T, p string) string {
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(st.Size(), 10)
}

func TestInstallRefusesWorldWritable(t *testing.T) {
	e := newEnv(t)
	data, err := os.ReadFile(filepath.Join(e.ext, "actor"))
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(e.home, "actor")
	os.WriteFile(src, data, 0o755)
	os.Chmod(src, 0o757)
	_, msg := e.run("install", src)
	if want := "refusing to install $HOME/actor: it is group- or world-writable (mode 0757), so another user could have replaced it; if it is yours, run: chmod go-w $HOME/actor"; msg != want {
		t.Errorf("error: %s\nwant: %s", msg, want)
	}
	if _, err := os.Stat(filepath.Join(e.home, ".local/share/lychd/extensions/extensions.lock.json")); !os.IsNotExist(err) {
		t.Errorf("a refused install wrote the lock file (%v)", err)
	}
}

func TestUsageErrors(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"install"}, "install takes exactly one argument, the path of the extension binary"},
		{[]string{"remove", "a", "b"}, "remove takes exactly one argument, the extension's name (see lychd extension list)"},
		{[]string{"inspect"}, "inspect takes exactly one argument, the extension's name (see lychd extension list)"},
		{[]string{"list", "x"}, `unknown command "x" for "extension list"`},
	} {
		_, msg := e.run(tc.args...)
		if msg != tc.want {
			t.Errorf("%q: %s\nwant: %s", tc.args, msg, tc.want)
		}
	}
}

func TestInspectUsesTheCodexTable(t *testing.T) {
	e := newEnv(t)
	if _, err := e.run("install", filepath.Join(e.ext, "actor")); err != "" {
		t.Fatal(err)
	}
	codexDir := filepath.Join(e.home, ".config", "lychd")
	os.MkdirAll(codexDir, 0o755)
	toml := "[extensions.actor]\nrunes = [{ name = \"from-toml\", image = \"docker.io/library/alpine:3.20\" }]\n"
	if err := os.WriteFile(filepath.Join(codexDir, "lychd.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := e.run("inspect", "actor")
	if err != "" {
		t.Fatal(err)
	}
	if want := "Runes (1):\n  from-toml  soulstone  docker.io/library/alpine:3.20\n      unit           lychd-soulstone-from-toml.service\n      covens         from-toml (a coven of one)\nAnimators (0):\n"; !strings.HasSuffix(out, want) {
		t.Errorf("inspect:\n%s\nwant it to end with:\n%s", out, want)
	}
	out, _ = e.run("inspect", "actor", "--config", "{}")
	if want := "Runes (0):\nAnimators (0):\n"; !strings.HasSuffix(out, want) {
		t.Errorf("inspect --config {}:\n%s\nwant it to end with:\n%s", out, want)
	}
	_, err = e.run("inspect", "actor", "--config", "{")
	if want := "--config is not valid JSON; give the config table as a JSON object, e.g. --config '{\"model\": \"x\"}'"; err != want {
		t.Errorf("bad --config: %s\nwant: %s", err, want)
	}
}

// TestInstallFromAnotherSourceNeedsForce: a binary from another path that
// calls itself like an installed extension does not silently take over its
// name (and its [extensions.NAME] table): without a terminal it is refused
// until --force, and the replacement names both sources.
func TestInstallFromAnotherSourceNeedsForce(t *testing.T) {
	e := newEnv(t)
	if _, err := e.run("install", filepath.Join(e.ext, "actor")); err != "" {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "not-actor")
	data, rerr := os.ReadFile(filepath.Join(e.ext, "actor"))
	if rerr != nil {
		t.Fatal(rerr)
	}
	if err := os.WriteFile(other, data, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := e.run("install", other)
	want := "refusing to install " + other + ": extension actor 1.0.0 is installed from $EXT/actor, and this binary (actor 1.0.0) comes from elsewhere, so it would take over the name actor and its [extensions.actor] table; if you mean to replace it, run again with --force (or answer yes on a terminal), or remove it first with: lychd extension remove actor"
	if err != want {
		t.Errorf("install from another path:\n%s\nwant:\n%s", err, want)
	}
	out, err := e.run("install", "--force", other)
	if !strings.HasPrefix(out, "Replaced extension actor 1.0.0 from $EXT/actor with 1.0.0 from "+other+" (protocol 2, sha256 $SUM)\n") || err != "" {
		t.Errorf("install --force:\n%s%s", out, err)
	}
}

// TestInstallRefusesWhatIsNotAFile: a FIFO (or a directory) is refused
// before it is opened, so the install cannot hang.
func TestInstallRefusesWhatIsNotAFile(t *testing.T) {
	e := newEnv(t)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o755); err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 1)
	go func() { _, err := e.run("install", fifo); done <- err }()
	select {
	case err := <-done:
		if want := "cannot install " + fifo + ": it is not a regular file (a named pipe); give the path of the extension's binary"; err != want {
			t.Errorf("install FIFO: %s\nwant %s", err, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("lychd extension install FIFO hangs")
	}
}

// TestInstallHonoursTheStartTimeout: the probe launch of an install is
// bounded by [assimilation] start_timeout_seconds, which its timeout
// message tells the user to raise.
func TestInstallHonoursTheStartTimeout(t *testing.T) {
	e := newEnv(t)
	codexDir := filepath.Join(e.home, ".config", "lychd")
	if err := os.MkdirAll(codexDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(codexDir, "lychd.toml"), []byte("[assimilation]\nstart_timeout_seconds = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.run("install", filepath.Join(e.ext, "slowstart"))
	want := "cannot install $EXT/slowstart: the binary did not complete the plugin handshake within 1s and was killed; raise start_timeout_seconds in the [assimilation] table of lychd.toml if the machine is just slow\n  last lines of its stderr:\n  | loading a very large model first"
	if err != want {
		t.Errorf("install:\n%s\nwant:\n%s", err, want)
	}
}

// inspectConfig registers a soulstone with every field set, an always-on
// rune, a soulstone Animator and a portal, and logs, prints and writes to
// stdout.
const inspectConfig = `{
  "Log": "registering", "Print": "printed to stderr", "Stdout": "printed to stdout",
  "Runes": [
    {"Name": "vision-analyzer", "Description": "Vision analyzer", "Image": "ghcr.io/example/analyzer:1.0",
     "Groups": ["eyes", "ocr"], "After": ["lychd-preprocessor.service"], "Wants": ["lychd-preprocessor.service"],
     "Requires": ["lychd-preprocessor.service"], "Port": 8081, "ExposePort": true, "HostPort": 18081,
     "Devices": ["nvidia.com/gpu=all"], "Volumes": ["lychd-hf-cache:/models:rw,Z"],
     "Environment": {"MODEL": "qwen2-vl", "PROMPT": "describe it"}, "Exec": ["--model", "qwen2-vl", "--name", "two words"],
     "StartTimeout": 900000000000},
    {"Name": "preprocessor", "Kind": "always-on", "Image": "docker.io/library/busybox:1.36", "Port": 9000}
  ],
  "Animators": [
    {"Name": "vision-analyzer", "Capabilities": ["OpenAIChatCompletions"], "Tags": ["vision", "ocr"]},
    {"Name": "remote", "Kind": "portal", "URL": "https://api.example.com/v1", "Capabilities": ["OpenAIChatCompletions"]}
  ]
}`

// TestInspectShowsEverything pins the text and JSON of inspect --logs for
// an extension that registers every field: an always-on rune is labelled
// always-on (not core), rune rows are aligned, and after, wants, requires,
// environment, exec and the start timeout are shown.
func TestInspectShowsEverything(t *testing.T) {
	e := newEnv(t)
	if _, err := e.run("install", filepath.Join(e.ext, "actor")); err != "" {
		t.Fatal(err)
	}
	stable := func(s string) string {
		var lines []string
		for _, l := range strings.Split(s, "\n") {
			switch {
			case strings.HasPrefix(l, "Size:"), strings.HasPrefix(l, "Installed:"),
				strings.HasPrefix(l, `  "size"`), strings.HasPrefix(l, `  "installed"`), strings.HasPrefix(l, `    "launched"`):
				continue
			}
			lines = append(lines, l)
		}
		return strings.Join(lines, "\n")
	}
	out, err := e.run("inspect", "actor", "--logs", "--config", inspectConfig)
	if err != "" {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/inspect.txt", []byte(stable(out)))
	out, err = e.run("inspect", "actor", "--logs", "--json", "--config", inspectConfig)
	if err != "" {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/inspect.json", []byte(stable(out)))
}

// TestRemoveNamesTheLeftoverTable: removing an extension whose table is
// still in lychd.toml says where the table is, since bind now refuses it.
func TestRemoveNamesTheLeftoverTable(t *testing.T) {
	e := newEnv(t)
	if _, err := e.run("install", filepath.Join(e.ext, "actor")); err != "" {
		t.Fatal(err)
	}
	codexDir := filepath.Join(e.home, ".config", "lychd")
	if err := os.MkdirAll(codexDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(codexDir, "lychd.toml"), []byte("[pod]\nuserns = \"keep-id\"\n\n[extensions.actor]\nCount = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := e.run("remove", "actor")
	want := "Removed extension actor 1.0.0\n" +
		"  delete its table [extensions.actor] (lychd.toml:4): lychd bind refuses a table of an extension that is not installed\n" +
		"  run \"lychd bind\" to remove its runes from the Sepulcher\n"
	if out != want || err != "" {
		t.Errorf("remove:\n%s%s\nwant:\n%s", out, err, want)
	}
}
