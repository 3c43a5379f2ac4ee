package bind

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/host/hosttest"
	corerunes "github.com/lychd/lychd/plugins/core"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmd/factory"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/systemd"
	"github.com/lychd/lychd/internal/systemd/systemdfake"
)

// fakeCore stands in for the assimilation of the core plugin and
// extensions; the real one is exercised by the end-to-end tests.
func fakeCore(extra ...model.Rune) func(context.Context, *codex.Codex) (*host.Result, error) {
	return func(ctx context.Context, cx *codex.Codex) (*host.Result, error) {
		runes := []model.Rune{{Name: "vessel", Kind: model.KindCore, Image: "ghcr.io/hexanomicon/lychd:latest", Port: 8000, ExposePort: true, HostPort: 7134,
			Source: model.Source{Kind: model.SourceCore, Name: "core"}}}
		return &host.Result{Runes: append(runes, extra...)}, nil
	}
}

type env struct {
	home     string
	out, err *bytes.Buffer
	reloads  int
	opts     *Options
}

func newEnv(t *testing.T, files map[string]string) *env {
	t.Helper()
	e := &env{home: t.TempDir(), out: &bytes.Buffer{}, err: &bytes.Buffer{}}
	e.writeCodex(t, files)
	e.opts = &Options{
		IO: cmdutil.IOStreams{In: strings.NewReader(""), Out: e.out, ErrOut: e.err},
		Paths: func() (paths.Paths, error) {
			return paths.FromEnv(func(k string) string {
				if k == "HOME" {
					return e.home
				}
				return ""
			})
		},
		Assimilate: fakeCore(),
		Reload: func(context.Context) error {
			e.reloads++
			return nil
		},
	}
	return e
}

func (e *env) writeCodex(t *testing.T, files map[string]string) {
	t.Helper()
	dir := filepath.Join(e.home, ".config", "lychd")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) run(t *testing.T) error {
	t.Helper()
	e.out.Reset()
	e.err.Reset()
	return Run(context.Background(), e.opts)
}

// snapshot records every file, directory and link lychd may touch, with
// contents, modes and link targets, to prove that a failed bind changed
// nothing.
func (e *env) snapshot(t *testing.T) map[string]string {
	t.Helper()
	snap := map[string]string{}
	for _, root := range []string{
		filepath.Join(e.home, ".config", "containers"),
		filepath.Join(e.home, ".config", "systemd"),
		filepath.Join(e.home, ".local", "share", "lychd"),
	} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if os.IsNotExist(err) {
				return nil
			}
			if err != nil {
				return err
			}
			fi, err := os.Lstat(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(e.home, p)
			switch {
			case fi.Mode()&fs.ModeSymlink != 0:
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				snap[rel] = "link " + target
			case fi.IsDir():
				snap[rel] = "dir " + fi.Mode().String()
			default:
				data, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				snap[rel] = fi.Mode().String() + " " + fi.ModTime().String() + "\n" + string(data)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return snap
}

func sameSnapshot(t *testing.T, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("binding site changed at %s:\nbefore: %q\nafter:  %q", k, v, after[k])
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("binding site gained %s", k)
		}
	}
}

const visionCodex = `[vision-preprocessor]
image = "ghcr.io/example/pre:1"
groups = ["vision"]

[vision-analyzer]
image = "ghcr.io/example/analyzer:1"
groups = ["vision"]
after = ["lychd-soulstone-vision-preprocessor.service"]
requires = ["lychd-soulstone-vision-preprocessor.service"]
`

func TestBindThenNothingToDo(t *testing.T) {
	e := newEnv(t, map[string]string{"soulstones/vision.toml": visionCodex, "soulstones/tts.toml": "[xtts]\nimage = \"ghcr.io/example/xtts:1\"\nport = 8081\n"})
	if err := e.run(t); err != nil {
		t.Fatalf("bind: %v", err)
	}
	want := `Bound 7 files: 7 created, 0 updated, 0 removed.
  create ~/.config/containers/systemd/lychd/lychd-soulstone-vision-analyzer.container
  create ~/.config/containers/systemd/lychd/lychd-soulstone-vision-preprocessor.container
  create ~/.config/containers/systemd/lychd/lychd-soulstone-xtts.container
  create ~/.config/containers/systemd/lychd/lychd-vessel.container
  create ~/.config/containers/systemd/lychd/lychd.pod
  create ~/.config/systemd/user/lychd-coven-vision.target
  create ~/.config/systemd/user/lychd-hold-vision.target
Reloaded the systemd user manager.
`
	if got := e.out.String(); got != want {
		t.Errorf("first bind printed:\n%s\nwant:\n%s", got, want)
	}
	if e.reloads != 1 {
		t.Errorf("reloads = %d, want 1", e.reloads)
	}
	before := e.snapshot(t)
	if err := e.run(t); err != nil {
		t.Fatalf("second bind: %v", err)
	}
	if got := e.out.String(); got != "Nothing to do: 7 files are already bound.\n" {
		t.Errorf("second bind printed %q", got)
	}
	if e.reloads != 1 {
		t.Errorf("a bind with no change reloaded (reloads = %d)", e.reloads)
	}
	sameSnapshot(t, before, e.snapshot(t))

	// Quadlet sees the files through the stable lychd link.
	data, err := os.ReadFile(filepath.Join(e.home, ".config/containers/systemd/lychd/lychd-soulstone-xtts.container"))
	if err != nil || !strings.Contains(string(data), "Image=ghcr.io/example/xtts:1\n") {
		t.Errorf("installed container file: %v\n%s", err, data)
	}

	// Removing a soulstone removes its files and the coven target.
	e.writeCodex(t, map[string]string{"soulstones/tts.toml": "[xtts]\nimage = \"ghcr.io/example/xtts:2\"\n"})
	if err := e.run(t); err != nil {
		t.Fatalf("third bind: %v", err)
	}
	want = `Bound 3 files: 0 created, 1 updated, 4 removed.
`
	if got := e.out.String(); !strings.HasPrefix(got, want) {
		t.Errorf("third bind printed:\n%s\nwant prefix:\n%s", got, want)
	}
	for _, gone := range []string{".config/systemd/user/lychd-coven-vision.target", ".config/containers/systemd/lychd/lychd-soulstone-vision-analyzer.container"} {
		if _, err := os.Lstat(filepath.Join(e.home, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still exists after its soulstone was removed (err %v)", gone, err)
		}
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t, map[string]string{"soulstones/tts.toml": "[xtts]\nimage = \"ghcr.io/example/xtts:1\"\n"})
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	e.writeCodex(t, map[string]string{"soulstones/tts.toml": "[xtts]\nimage = \"ghcr.io/example/xtts:2\"\n"})
	before := e.snapshot(t)
	e.opts.DryRun = true
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	want := `Would bind 3 files: 0 created, 1 updated, 0 removed.
  update ~/.config/containers/systemd/lychd/lychd-soulstone-xtts.container

--- ~/.config/containers/systemd/lychd/lychd-soulstone-xtts.container
+++ ~/.config/containers/systemd/lychd/lychd-soulstone-xtts.container
@@ -5,7 +5,7 @@
 
 [Container]
 ContainerName=lychd-soulstone-xtts
-Image=ghcr.io/example/xtts:1
+Image=ghcr.io/example/xtts:2
 Pod=lychd.pod
 StartWithPod=false
 

Dry run: nothing was written.
`
	if got := e.out.String(); got != want {
		t.Errorf("dry run printed:\n%s\nwant:\n%s", got, want)
	}
	sameSnapshot(t, before, e.snapshot(t))
	if e.reloads != 1 {
		t.Errorf("dry run reloaded")
	}
}

func TestNoManagerIsAWarning(t *testing.T) {
	e := newEnv(t, map[string]string{"soulstones/tts.toml": "[xtts]\nimage = \"ghcr.io/example/xtts:1\"\n"})
	e.opts.Reload = func(context.Context) error {
		return &noManager{}
	}
	if err := e.run(t); err != nil {
		t.Fatalf("bind without a manager must succeed: %v", err)
	}
	want := "lychd: warning: no systemd user manager reachable at /run/user/1000/systemd/private; the new units are in place: run `systemctl --user daemon-reload` to load them\n"
	if got := e.err.String(); got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}

type noManager struct{}

func (*noManager) Error() string {
	return "no systemd user manager reachable at /run/user/1000/systemd/private"
}
func (*noManager) Unwrap() error { return systemd.ErrNoManager }

func TestJSON(t *testing.T) {
	e := newEnv(t, map[string]string{"soulstones/tts.toml": "[xtts]\nimage = \"ghcr.io/example/xtts:1\"\n"})
	e.opts.JSON = true
	e.opts.NoReload = true
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	want := `{
  "dry_run": false,
  "changed": true,
  "files": 3,
  "changes": [
    {
      "op": "create",
      "path": "~/.config/containers/systemd/lychd/lychd-soulstone-xtts.container"
    },
    {
      "op": "create",
      "path": "~/.config/containers/systemd/lychd/lychd-vessel.container"
    },
    {
      "op": "create",
      "path": "~/.config/containers/systemd/lychd/lychd.pod"
    }
  ],
  "internal": [
    {
      "op": "create",
      "path": "~/.config/containers/systemd/lychd"
    },
    {
      "op": "update",
      "path": "~/.local/share/lychd/bindings/current"
    },
    {
      "op": "create",
      "path": "~/.local/share/lychd/bindings/gen-1"
    }
  ],
  "reloaded": false,
  "extensions": []
}
`
	if got := e.out.String(); got != want {
		t.Errorf("json:\n%s\nwant:\n%s", got, want)
	}
}

// The spec's example (image = "...") loads unchanged and binds, with a
// warning for its short image names (Quadlet warns about them too).
func TestSpecExampleWarnsAboutShortNames(t *testing.T) {
	spec := strings.ReplaceAll(strings.ReplaceAll(visionCodex, `"ghcr.io/example/pre:1"`, `"..."`), `"ghcr.io/example/analyzer:1"`, `"..."`)
	e := newEnv(t, map[string]string{"soulstones/vision.toml": spec})
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	want := `lychd: warning: soulstones/vision.toml:5: rune "vision-analyzer": image "..." is not fully qualified; name its registry (e.g. docker.io/library/NAME:TAG) so Podman does not have to guess
lychd: warning: soulstones/vision.toml:1: rune "vision-preprocessor": image "..." is not fully qualified; name its registry (e.g. docker.io/library/NAME:TAG) so Podman does not have to guess
`
	if got := e.err.String(); got != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", got, want)
	}
}

func TestFullyQualified(t *testing.T) {
	for image, want := range map[string]bool{
		"docker.io/library/alpine:3": true, "localhost/x": true, "registry:5000/x": true,
		"alpine": false, "library/alpine": false, "...": false, "ghcr.io/x/y@sha256:00": true,
	} {
		if got := fullyQualified(image); got != want {
			t.Errorf("fullyQualified(%q) = %v, want %v", image, got, want)
		}
	}
}

// An extension that writes to the binding site while it is assimilated
// fails the bind; lychd writes nothing on top of the tampered site.
func TestSiteWrittenDuringAssimilation(t *testing.T) {
	e := newEnv(t, map[string]string{"soulstones/tts.toml": goodTTS})
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	e.writeCodex(t, map[string]string{"soulstones/tts.toml": strings.Replace(goodTTS, "xtts:1", "xtts:2", 1)})
	evil := filepath.Join(e.home, ".config", "systemd", "user", "lychd-coven-evil.target")
	inner := fakeCore()
	e.opts.Assimilate = func(ctx context.Context, cx *codex.Codex) (*host.Result, error) {
		if err := os.WriteFile(evil, []byte("[Unit]\n"), 0o644); err != nil {
			return nil, err
		}
		res, err := inner(ctx, cx)
		if res != nil {
			res.Launched = true // an extension ran, and wrote
		}
		return res, err
	}
	before := e.snapshot(t)
	err := e.run(t)
	want := "bind: nothing was written: the binding site changed while the extensions were being assimilated (~/.config/systemd/user/lychd-coven-evil.target); an extension, or another program such as a second lychd bind, wrote to it. Run lychd bind again; if this repeats with no other bind running, look for the extension that writes there with lychd extension inspect NAME"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	delete(before, ".config/systemd/user/lychd-coven-evil.target")
	after := e.snapshot(t)
	delete(after, ".config/systemd/user/lychd-coven-evil.target")
	sameSnapshot(t, before, after)
}

// A bind that left the units unloaded (--no-reload, or a reload that
// failed) is caught up by the next bind, even one with no change; finding
// no manager at all settles it too (a manager that starts later reads the
// units as they are).
func TestPendingReloadIsCaughtUp(t *testing.T) {
	e := newEnv(t, map[string]string{"soulstones/tts.toml": goodTTS})
	pending := filepath.Join(e.home, ".local", "share", "lychd", reloadPendingName)
	exists := func() bool {
		_, err := os.Lstat(pending)
		return err == nil
	}
	e.opts.NoReload = true
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	if e.reloads != 0 || !exists() {
		t.Fatalf("--no-reload: reloads %d, pending record %v", e.reloads, exists())
	}
	// Another --no-reload bind with no change keeps the debt.
	if err := e.run(t); err != nil || e.reloads != 0 || !exists() {
		t.Fatalf("second --no-reload: %v, reloads %d, pending record %v", err, e.reloads, exists())
	}

	e.opts.NoReload = false
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	want := "Nothing to do: 3 files are already bound.\nReloaded the systemd user manager, which an earlier bind had left to do.\n"
	if e.reloads != 1 || exists() || e.out.String() != want {
		t.Errorf("catch-up bind: reloads %d, pending record %v, printed %q, want %q", e.reloads, exists(), e.out.String(), want)
	}
	before := e.snapshot(t)
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	if e.reloads != 1 || e.out.String() != "Nothing to do: 3 files are already bound.\n" {
		t.Errorf("bind after the catch-up: reloads %d, printed %q", e.reloads, e.out.String())
	}
	sameSnapshot(t, before, e.snapshot(t))

	// A failed reload is owed too, and retried by the next bind.
	e.writeCodex(t, map[string]string{"soulstones/tts.toml": strings.Replace(goodTTS, "xtts:1", "xtts:2", 1)})
	e.opts.Reload = func(context.Context) error { return errors.New("connection reset by peer") }
	err := e.run(t)
	wantErr := "bind: the units are in place, but reloading the systemd user manager failed: connection reset by peer; run: systemctl --user daemon-reload (or lychd bind again)"
	if err == nil || err.Error() != wantErr || !exists() {
		t.Fatalf("failed reload: %v (pending record %v), want %s", err, exists(), wantErr)
	}
	e.opts.Reload = func(context.Context) error { return &noManager{} }
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	wantWarn := "lychd: warning: no systemd user manager reachable at /run/user/1000/systemd/private; the new units are in place: run `systemctl --user daemon-reload` to load them\n"
	if exists() || e.err.String() != wantWarn {
		t.Errorf("no manager: pending record %v, stderr %q", exists(), e.err.String())
	}
	// With nothing owed, a bind with no change does not even ask.
	e.opts.Reload = func(context.Context) error { t.Error("reloaded with nothing owed"); return nil }
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
}

// TestBindNeverDeletesUserFiles: files a user put into lychd's Quadlet
// directory after a bind fail the bind and the dry run with the path and
// the fix; nothing is deleted and nothing claims "Nothing to do".
func TestBindNeverDeletesUserFiles(t *testing.T) {
	e := newEnv(t, map[string]string{"soulstones/tts.toml": goodTTS})
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(e.home, ".config/containers/systemd/lychd")
	for name, data := range map[string]string{"notes.txt": "my notes\n", "mine/app.container": "[Container]\nImage=x\n"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := e.snapshot(t)
	want := "bind: ~/.config/containers/systemd/lychd/mine was not written by lychd, and a bind would delete it: ~/.config/containers/systemd/lychd is lychd's link to its current generation and holds only files lychd writes; move it out (for your own Quadlet units, into ~/.config/containers/systemd), then bind again\n" +
		"~/.config/containers/systemd/lychd/notes.txt was not written by lychd, and a bind would delete it: ~/.config/containers/systemd/lychd is lychd's link to its current generation and holds only files lychd writes; move it out (for your own Quadlet units, into ~/.config/containers/systemd), then bind again"
	for _, dry := range []bool{true, false} {
		e.opts.DryRun = dry
		err := e.run(t)
		if err == nil || err.Error() != want {
			t.Errorf("dry run %v: err = %v\nwant %s", dry, err, want)
		}
		if strings.Contains(e.out.String(), "Nothing to do") {
			t.Errorf("dry run %v printed %q", dry, e.out.String())
		}
	}
	sameSnapshot(t, before, e.snapshot(t))
}

// TestRecordOnlyChangeIsReported: a change of the Codex that changes no
// unit (a comment) records the new state in a new generation and says so,
// without reloading systemd.
func TestRecordOnlyChangeIsReported(t *testing.T) {
	e := newEnv(t, map[string]string{"soulstones/tts.toml": goodTTS})
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	e.writeCodex(t, map[string]string{"soulstones/tts.toml": goodTTS + "# a comment\n"})
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	want := `No unit changes: 3 files are already bound. Updated lychd's own files:
  update ~/.local/share/lychd/bindings/current
  remove ~/.local/share/lychd/bindings/gen-1
  create ~/.local/share/lychd/bindings/gen-2
`
	if got := e.out.String(); got != want {
		t.Errorf("printed:\n%s\nwant:\n%s", got, want)
	}
	if e.reloads != 1 {
		t.Errorf("reloads = %d, want 1 (the first bind's)", e.reloads)
	}
}

// TestBindNamesRunningUnitsItChanged: a bind that changes one running
// soulstone's unit restarts nothing and says which running units keep their
// old definition until restarted; changed units that are not running, and
// running ones it did not change, are not named.
func TestBindNamesRunningUnitsItChanged(t *testing.T) {
	e := newEnv(t, map[string]string{"soulstones/s.toml": "[a]\nimage = \"ghcr.io/example/a:1\"\n\n[b]\nimage = \"ghcr.io/example/b:1\"\n\n[c]\nimage = \"ghcr.io/example/c:1\"\n"})
	if err := e.run(t); err != nil {
		t.Fatalf("bind: %v", err)
	}
	fake := &systemdfake.Manager{Units: []systemd.Unit{
		{Name: "lychd-soulstone-a.service", LoadState: "loaded", ActiveState: "active", SubState: "running"},
		{Name: "lychd-soulstone-b.service", LoadState: "loaded", ActiveState: "active", SubState: "running"},
		{Name: "lychd-soulstone-c.service", LoadState: "loaded", ActiveState: "inactive", SubState: "dead"},
	}}
	e.opts.Manager = func(context.Context) (systemd.Manager, error) { return fake, nil }
	e.writeCodex(t, map[string]string{"soulstones/s.toml": "[a]\nimage = \"ghcr.io/example/a:2\"\n\n[b]\nimage = \"ghcr.io/example/b:1\"\n\n[c]\nimage = \"ghcr.io/example/c:2\"\n"})
	if err := e.run(t); err != nil {
		t.Fatalf("second bind: %v", err)
	}
	want := `Bound 5 files: 0 created, 2 updated, 0 removed.
  update ~/.config/containers/systemd/lychd/lychd-soulstone-a.container
  update ~/.config/containers/systemd/lychd/lychd-soulstone-c.container
Reloaded the systemd user manager.
Still running as they were before this bind (a restart applies the new units; nothing else was restarted): lychd-soulstone-a.service
Restart them with: systemctl --user restart lychd-soulstone-a.service
`
	if got := e.out.String(); got != want {
		t.Errorf("bind printed:\n%s\nwant:\n%s", got, want)
	}
}

// TestOldPhylacteryDataIsWarnedAbout: the cluster of the PostgreSQL 16
// Phylactery of an earlier lychd (phylactery/pgdata) gets a warning with
// the dump command until the postgres 18 image has made its own.
func TestOldPhylacteryDataIsWarnedAbout(t *testing.T) {
	e := newEnv(t, map[string]string{"lychd.toml": ""})
	// The core's Phylactery as it registers itself (plugins/core).
	e.opts.Assimilate = fakeCore(model.Rune{Name: "phylactery", Kind: model.KindCore, Image: corerunes.DefaultPhylacteryImage,
		Volumes:     []string{corerunes.PhylacteryData + ":/var/lib/postgresql:U,Z"},
		Environment: []model.EnvVar{{Name: "POSTGRES_USER", Value: corerunes.PhylacteryUser}},
		Source:      model.Source{Kind: model.SourceCore, Name: "core"}})
	data := filepath.Join(e.home, ".local", "share", "lychd", "phylactery")
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(data, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("pgdata/PG_VERSION", "16\n")
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	want := "lychd: warning: ~/.local/share/lychd/phylactery/pgdata holds the PostgreSQL 16 database of an earlier lychd; the Phylactery now runs " + corerunes.DefaultPhylacteryImage + ", which keeps its database in ~/.local/share/lychd/phylactery/18/docker and starts there with an empty one when it next starts (the old one is left as it is). To keep your data, dump it before the Phylactery restarts: podman exec lychd-phylactery pg_dumpall -U lich > lychd.sql, then restore it as docs/core.md says\n"
	if !strings.Contains(e.err.String(), want) {
		t.Errorf("stderr:\n%s\nwant the line:\n%s", e.err.String(), want)
	}

	// Once the new image has made its cluster, the old one is the user's.
	write("18/docker/PG_VERSION", "18\n")
	e.err.Reset()
	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.err.String(), "earlier lychd") {
		t.Errorf("warned again after the new cluster exists:\n%s", e.err.String())
	}
}

// withActor returns an env with the actor test extension installed and
// the real assimilation (the core and the installed extensions, through
// factory.Options), and its paths.
func withActor(t *testing.T) (*env, paths.Paths) {
	t.Helper()
	dir, err := hosttest.Dir()
	if err != nil {
		t.Fatalf("building the test extensions: %v", err)
	}
	e := newEnv(t, nil)
	p, err := e.opts.Paths()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := host.Install(context.Background(), host.InstallOptions{Dir: p.ExtensionsDir(), Source: filepath.Join(dir, "actor")}); err != nil {
		t.Fatal(err)
	}
	f := &cmdutil.Factory{IO: e.opts.IO, Getenv: func(string) string { return "" }}
	e.opts.Assimilate = func(ctx context.Context, cx *codex.Codex) (*host.Result, error) {
		return host.Assimilate(ctx, factory.Options(f, p, cx))
	}
	return e, p
}
