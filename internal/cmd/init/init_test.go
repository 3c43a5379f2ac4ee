package initcmd

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/cmd/cmdtest"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/podman"
	"github.com/lychd/lychd/plugins/core"
)

// fakeSecrets is Podman's secret store in memory.
type fakeSecrets struct{ values map[string]string }

func (f *fakeSecrets) Exists(_ context.Context, name string) (bool, error) {
	_, ok := f.values[name]
	return ok, nil
}

func (f *fakeSecrets) Create(_ context.Context, name string, value io.Reader) error {
	if _, ok := f.values[name]; ok {
		return errors.New("exists")
	}
	b, err := io.ReadAll(value)
	if err != nil {
		return err
	}
	f.values[name] = string(b)
	return nil
}

func run(t *testing.T, e *cmdtest.Env, store podman.Secrets, dryRun bool) error {
	t.Helper()
	e.Out.Reset()
	e.Err.Reset()
	f := e.Factory()
	opts := &Options{IO: f.IO, Paths: f.Paths, DryRun: dryRun, Secrets: func() (podman.Secrets, error) {
		if store == nil {
			return nil, podman.ErrNoPodman
		}
		return store, nil
	}}
	return Run(context.Background(), opts)
}

// tree lists every file and directory under root with its mode.
func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, rel+" "+fi.Mode().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

const freshOutput = `created      $HOME/.config/lychd/
created      $HOME/.config/lychd/lychd.toml
created      $HOME/.config/lychd/soulstones/
created      $HOME/.config/lychd/portals/
created      $HOME/.local/share/lychd/lab/
created      $HOME/.local/share/lychd/core/
created      $HOME/.local/share/lychd/extensions/
created      $HOME/.local/share/lychd/triggers/inbox/
created      $HOME/.local/share/lychd/triggers/journal/
created      $HOME/.local/share/lychd/phylactery/
created      $HOME/.local/share/lychd/oculus/
created      Podman secret lychd-phylactery-password (a random value)
created      Podman secret lychd-vessel-secret-key (a random value)
`

// TestInit: on a fresh HOME init creates the Codex skeleton, every
// directory the core's containers mount and the core's secrets from
// random values it never prints; run again, it keeps everything.
func TestInit(t *testing.T) {
	e := cmdtest.New(t)
	store := &fakeSecrets{values: map[string]string{}}
	if err := run(t, e, store, false); err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(e.Out.String(), e.Home, "$HOME"); got != freshOutput {
		t.Errorf("output:\n%s\nwant:\n%s", got, freshOutput)
	}
	if e.Err.Len() != 0 {
		t.Errorf("stderr: %s", e.Err.String())
	}
	wantTree := []string{
		". drwx------", // t.TempDir's own mode
		".config drwx------", ".config/lychd drwx------", ".config/lychd/lychd.toml -rw-------",
		".config/lychd/portals drwx------", ".config/lychd/soulstones drwx------",
		".local drwx------", ".local/share drwx------", ".local/share/lychd drwx------",
		".local/share/lychd/core drwx------", ".local/share/lychd/extensions drwx------",
		".local/share/lychd/lab drwx------",
		".local/share/lychd/oculus drwx------", ".local/share/lychd/phylactery drwx------",
		".local/share/lychd/triggers drwx------",
		".local/share/lychd/triggers/inbox drwx------", ".local/share/lychd/triggers/journal drwx------",
	}
	got := tree(t, e.Home)
	got[0] = ". drwx------"
	if !reflect.DeepEqual(got, wantTree) {
		t.Errorf("HOME:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantTree, "\n"))
	}
	// The skeleton binds the defaults: it loads, empty.
	cx, err := codex.Load(e.Paths.CodexDir())
	if err != nil {
		t.Fatalf("the skeleton does not load: %v", err)
	}
	if len(cx.Runes) != 0 || cx.Core != nil || len(cx.Alliances) != 0 {
		t.Errorf("the skeleton sets something: %+v", cx)
	}
	values := map[string]bool{}
	for name, v := range store.values {
		if len(v) != 43 || strings.ContainsAny(v, "\n +/=") {
			t.Errorf("secret %s = %d bytes of %q, want 43 base64url characters", name, len(v), v[:min(4, len(v))])
		}
		if values[v] {
			t.Errorf("two secrets share a value")
		}
		values[v] = true
		if strings.Contains(e.Out.String()+e.Err.String(), v) {
			t.Errorf("the value of secret %s is in init's output", name)
		}
	}

	// A user's edit is kept; a second run creates nothing.
	toml := filepath.Join(e.Paths.CodexDir(), "lychd.toml")
	if err := os.WriteFile(toml, []byte("alliances = []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := store.values["lychd-phylactery-password"]
	if err := run(t, e, store, false); err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer("created     ", "kept        ", " (a random value)", "").Replace(freshOutput)
	if got := strings.ReplaceAll(e.Out.String(), e.Home, "$HOME"); got != want {
		t.Errorf("second run:\n%s\nwant:\n%s", got, want)
	}
	if b, _ := os.ReadFile(toml); string(b) != "alliances = []\n" {
		t.Errorf("init changed the user's lychd.toml: %q", b)
	}
	if store.values["lychd-phylactery-password"] != before {
		t.Errorf("init replaced an existing secret")
	}
}

// TestInitDryRun: --dry-run creates nothing and says what init would.
func TestInitDryRun(t *testing.T) {
	e := cmdtest.New(t)
	store := &fakeSecrets{values: map[string]string{"lychd-vessel-secret-key": "x"}}
	if err := run(t, e, store, true); err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer("created     ", "would create", "created      Podman secret lychd-vessel-secret-key (a random value)", "kept         Podman secret lychd-vessel-secret-key").Replace(freshOutput)
	want = strings.Replace(want, "would create Podman secret lychd-vessel-secret-key (a random value)", "kept         Podman secret lychd-vessel-secret-key", 1)
	if got := strings.ReplaceAll(e.Out.String(), e.Home, "$HOME"); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	if got := tree(t, e.Home); len(got) != 1 {
		t.Errorf("--dry-run created %q", got[1:])
	}
	if len(store.values) != 1 {
		t.Errorf("--dry-run created secrets: %v", store.values)
	}
}

// TestInitWithoutPodman: the files and directories are made; the secrets
// cannot be, and init says so and fails.
func TestInitWithoutPodman(t *testing.T) {
	e := cmdtest.New(t)
	err := run(t, e, nil, false)
	want := "init: podman is not on $PATH: the core's secrets (lychd-phylactery-password, lychd-vessel-secret-key) were not created; install Podman and run lychd init again"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got: %v\nwant: %s", err, want)
	}
	if _, err := os.Stat(filepath.Join(e.Home, ".local/share/lychd/phylactery")); err != nil {
		t.Errorf("the directories were not created: %v", err)
	}
}

// TestInitRefusesAFileForADirectory: a file where a mounted directory
// belongs is reported, not replaced.
func TestInitRefusesAFileForADirectory(t *testing.T) {
	e := cmdtest.New(t)
	crypt := filepath.Join(e.Home, ".local/share/lychd")
	if err := os.MkdirAll(crypt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(crypt, "oculus"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(t, e, &fakeSecrets{values: map[string]string{}}, false)
	want := "init: " + filepath.Join(crypt, "oculus") + " exists and is not a directory; move it away and run lychd init again"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got: %v\nwant: %s", err, want)
	}
	if b, _ := os.ReadFile(filepath.Join(crypt, "oculus")); string(b) != "mine" {
		t.Errorf("the user's file changed")
	}
}

// TestInitWarnsAboutMissingLibrarySources: the user's library sources are
// checked, never created.
func TestInitWarnsAboutMissingLibrarySources(t *testing.T) {
	e := cmdtest.New(t)
	e.WriteCodex(t, "lychd.toml", "[core.vessel]\nlibrary_sources = [\"%h/Books\"]\n")
	if err := run(t, e, &fakeSecrets{values: map[string]string{}}, false); err != nil {
		t.Fatal(err)
	}
	want := "lychd: warning: " + filepath.Join(e.Home, "Books") + " does not exist; the Vessel mounts it (library_sources of [core.vessel]) and will not start without it: create it, or remove it from lychd.toml\n"
	if got := e.Err.String(); got != want {
		t.Errorf("stderr:\n got: %q\nwant: %q", got, want)
	}
	if _, err := os.Stat(filepath.Join(e.Home, "Books")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("init created a library source: %v", err)
	}
}

// TestInitCreatesEveryCoreMount: every host directory in the user's home
// that a core rune mounts (the Vessel's Codex, lab, core, extensions and
// Reactor directories, the Phylactery's and the Oculus's data) is a
// directory after init, whatever mounts the core adds.
func TestInitCreatesEveryCoreMount(t *testing.T) {
	e := cmdtest.New(t)
	if err := run(t, e, &fakeSecrets{values: map[string]string{}}, false); err != nil {
		t.Fatal(err)
	}
	runes, err := core.Runes(core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range runes {
		for _, v := range r.Volumes {
			src, _, _ := strings.Cut(v, ":")
			rest, ok := strings.CutPrefix(src, "%h/")
			if !ok {
				t.Errorf("core rune %s mounts %s, not a directory in the home", r.Name, src)
				continue
			}
			n++
			if fi, err := os.Stat(filepath.Join(e.Home, rest)); err != nil || !fi.IsDir() {
				t.Errorf("core rune %s mounts %s, which init did not create: %v", r.Name, src, err)
			}
		}
	}
	if n < 8 {
		t.Errorf("the core runes mount %d home directories, want at least 8", n)
	}
}
