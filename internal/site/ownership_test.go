package site

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/bound"
)

// recorded returns g with a record of its files, as lychd bind writes it.
func recorded(g Generation) Generation {
	files := map[string]string{}
	for _, f := range g.Quadlet {
		files[bound.QuadletDir+"/"+f.Name] = bound.Digest(f.Data)
	}
	for _, f := range g.Systemd {
		files[bound.SystemdDir+"/"+f.Name] = bound.Digest(f.Data)
	}
	for _, f := range g.Config {
		files[bound.ConfigDir+"/"+f.Name] = bound.Digest(f.Data)
	}
	g.Record, _ = json.Marshal(map[string]any{"version": bound.Version, "files": files})
	return g
}

// TestUserFilesInTheGenerationAreRefused: files a user puts into
// ~/.config/containers/systemd/lychd/ (lychd's link to its current
// generation) are never deleted: Plan and Apply refuse with the path and
// what to do, and nothing changes.
func TestUserFilesInTheGenerationAreRefused(t *testing.T) {
	for _, withRecord := range []bool{true, false} {
		s := newSite(t)
		g := genOf("lychd.pod=P\n", "a.container=A\n", "x.target=X\n")
		if withRecord {
			g = recorded(g)
		}
		apply(t, s, g)
		dir := filepath.Join(s.QuadletDir, QuadletLinkName)
		mustWrite(t, filepath.Join(dir, "notes.txt"), "mine")
		mustWrite(t, filepath.Join(dir, "mine", "app.container"), "[Container]\n")
		if withRecord {
			// Without a record, a valid unit file cannot be told from
			// lychd's own; with one, it can.
			mustWrite(t, filepath.Join(dir, "extra.container"), "[Container]\n")
		}
		before := seen(t, s)
		want := []string{
			"~/.config/containers/systemd/lychd/mine was not written by lychd, and a bind would delete it: ~/.config/containers/systemd/lychd is lychd's link to its current generation and holds only files lychd writes; move it out (for your own Quadlet units, into ~/.config/containers/systemd), then bind again",
			"~/.config/containers/systemd/lychd/notes.txt was not written by lychd, and a bind would delete it: ~/.config/containers/systemd/lychd is lychd's link to its current generation and holds only files lychd writes; move it out (for your own Quadlet units, into ~/.config/containers/systemd), then bind again",
		}
		if withRecord {
			want = append([]string{"~/.config/containers/systemd/lychd/extra.container was not written by lychd, and a bind would delete it: ~/.config/containers/systemd/lychd is lychd's link to its current generation and holds only files lychd writes; move it out (for your own Quadlet units, into ~/.config/containers/systemd), then bind again"}, want...)
		}
		for _, next := range []Generation{g, genOf("lychd.pod=P2\n")} {
			if withRecord {
				next = recorded(next)
			}
			_, err := s.Plan(next)
			var ferr *ForeignFileError
			if !errors.As(err, &ferr) || err.Error() != strings.Join(want, "\n") {
				t.Fatalf("record %v: Plan error:\n%v\nwant:\n%s", withRecord, err, strings.Join(want, "\n"))
			}
			if _, err := s.Apply(t.Context(), next); err == nil || err.Error() != strings.Join(want, "\n") {
				t.Fatalf("record %v: Apply error:\n%v", withRecord, err)
			}
		}
		if after := seen(t, s); !mapsEqual(before, after) {
			t.Errorf("record %v: the site changed:\n%v\n%v", withRecord, before, after)
		}
		for _, p := range []string{"notes.txt", "mine/app.container"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
				t.Errorf("record %v: %s: %v", withRecord, p, err)
			}
		}
	}
}

// TestEditedFilesAreRefused: a file lychd wrote and the user changed since
// (through the link) is not silently replaced; removing it lets lychd
// write it again.
func TestEditedFilesAreRefused(t *testing.T) {
	s := newSite(t)
	g := recorded(genOf("lychd.pod=P\n", "a.container=A\n"))
	apply(t, s, g)
	edited := filepath.Join(s.QuadletDir, QuadletLinkName, "a.container")
	if err := os.WriteFile(edited, []byte("A edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "~/.config/containers/systemd/lychd/a.container was changed since lychd wrote it, and a bind would replace it: make the change in the Codex instead (see docs/codex.md), then remove ~/.config/containers/systemd/lychd/a.container (lychd writes it again) and bind again"
	if _, err := s.Apply(t.Context(), g); err == nil || err.Error() != want {
		t.Fatalf("Apply error:\n%v\nwant:\n%s", err, want)
	}
	if data, _ := os.ReadFile(edited); string(data) != "A edited\n" {
		t.Fatalf("the edit is gone: %q", data)
	}
	if err := os.Remove(edited); err != nil {
		t.Fatal(err)
	}
	apply(t, s, g)
	assertCanonical(t, s, g)
}

// TestUserAliasesAreKept: a link of the user's into the bindings under a
// name of their own is never touched, even when the unit it aliases goes.
func TestUserAliasesAreKept(t *testing.T) {
	s := newSite(t)
	apply(t, s, recorded(genOf("lychd.pod=P\n", "x.target=X\n")))
	alias := filepath.Join(s.SystemdDir, "my-gpu.target")
	target := filepath.Join(s.BindingsDir, "current", "systemd", "x.target")
	if err := os.Symlink(target, alias); err != nil {
		t.Fatal(err)
	}
	p := apply(t, s, recorded(genOf("lychd.pod=P\n")))
	if slices.ContainsFunc(append(p.Changes, p.Internal...), func(c Change) bool { return strings.Contains(c.Path, "my-gpu") }) {
		t.Errorf("the plan touches the alias: %v %v", ops(p.Changes), ops(p.Internal))
	}
	if got, err := os.Readlink(alias); err != nil || got != target {
		t.Errorf("alias: %q, %v", got, err)
	}
}

// TestRecordOnlyChange: a record that changes while no unit does makes a
// new generation (an internal change), and no visible change.
func TestRecordOnlyChange(t *testing.T) {
	s := newSite(t)
	g := recorded(genOf("lychd.pod=P\n"))
	apply(t, s, g)
	g.Record = append(append([]byte(nil), g.Record[:len(g.Record)-1]...), []byte(`,"inputs":{"codex":"x"}}`)...)
	p := apply(t, s, g)
	if len(p.Changes) != 0 || !slices.Contains(ops(p.Internal), "create ~/.local/share/lychd/bindings/gen-2") {
		t.Errorf("plan: %v %v", ops(p.Changes), ops(p.Internal))
	}
	data, err := os.ReadFile(filepath.Join(s.BindingsDir, "current", bound.FileName))
	if err != nil || string(data) != string(g.Record) {
		t.Errorf("record: %q, %v", data, err)
	}
	if p := apply(t, s, g); !p.Empty() {
		t.Errorf("the same record again: %v %v", ops(p.Changes), ops(p.Internal))
	}
}

// TestRenameioLeftoversAreCleaned: a replacement of a link killed inside
// renameio.Symlink leaves a hidden directory holding "tmp.symlink"; the
// next Apply removes it, and leaves alone a hidden directory of the
// user's that merely looks similar.
func TestRenameioLeftoversAreCleaned(t *testing.T) {
	s := newSite(t)
	g := recorded(genOf("lychd.pod=P\n", "x.target=X\n"))
	apply(t, s, g)
	plant := func(dir, name, target string) string {
		d := filepath.Join(dir, name)
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(d, "tmp.symlink")); err != nil {
			t.Fatal(err)
		}
		return d
	}
	leftovers := []string{
		plant(s.BindingsDir, ".current123456", "gen-1"),
		plant(s.QuadletDir, ".lychd987", filepath.Join(s.BindingsDir, "current", "quadlet")),
		plant(s.SystemdDir, ".x.target42", filepath.Join(s.BindingsDir, "current", "systemd", "x.target")),
	}
	mine := plant(s.QuadletDir, ".lychd55", "/somewhere/else")
	apply(t, s, g)
	for _, d := range leftovers {
		if _, err := os.Lstat(d); !os.IsNotExist(err) {
			t.Errorf("%s left: %v", d, err)
		}
	}
	if _, err := os.Lstat(mine); err != nil {
		t.Errorf("a directory that is not lychd's was removed: %v", err)
	}
	os.RemoveAll(mine)
	assertCanonical(t, s, g)
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
