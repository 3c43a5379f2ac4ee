package site

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var ctx = context.Background()

func apply(t testing.TB, s *Site, g Generation) Plan {
	t.Helper()
	p, err := s.Apply(ctx, g)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return p
}

// ops renders changes as "op path" lines.
func ops(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Op+" "+c.Path)
	}
	return out
}

func TestApplyFreshSite(t *testing.T) {
	s := newSite(t)
	g := genOf("lychd.pod=[Pod]\n", "lychd-soulstone-a.container=[Container]\nImage=a\n", "lychd-coven-x.target=[Unit]\n")
	p := apply(t, s, g)
	wantChanges := []string{
		"create ~/.config/containers/systemd/lychd/lychd-soulstone-a.container",
		"create ~/.config/containers/systemd/lychd/lychd.pod",
		"create ~/.config/systemd/user/lychd-coven-x.target",
	}
	if got := ops(p.Changes); !slices.Equal(got, wantChanges) {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantChanges, "\n"))
	}
	wantInternal := []string{
		"create ~/.config/containers/systemd/lychd",
		"update ~/.local/share/lychd/bindings/current",
		"create ~/.local/share/lychd/bindings/gen-1",
	}
	if got := ops(p.Internal); !slices.Equal(got, wantInternal) {
		t.Fatalf("internal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantInternal, "\n"))
	}
	wantDiff := "--- /dev/null\n+++ ~/.config/containers/systemd/lychd/lychd-soulstone-a.container\n@@ -0,0 +1,2 @@\n+[Container]\n+Image=a\n"
	if p.Changes[0].Diff != wantDiff {
		t.Fatalf("diff:\n%s\nwant:\n%s", p.Changes[0].Diff, wantDiff)
	}
	assertCanonical(t, s, g)
	cur, err := s.Current()
	if err != nil {
		t.Fatal(err)
	}
	if !sameContent(cur, g) {
		t.Fatalf("Current() = %v, want %v", flat(cur), flat(g))
	}
	for path, want := range map[string]os.FileMode{
		s.BindingsDir: 0o700, s.QuadletDir: 0o755, s.SystemdDir: 0o755,
		filepath.Join(s.BindingsDir, "gen-1", "quadlet", "lychd.pod"): 0o644,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %o, want %o", path, fi.Mode().Perm(), want)
		}
	}
}

func TestApplyAddChangeRemove(t *testing.T) {
	s := newSite(t)
	apply(t, s, genOf("lychd.pod=[Pod]\n", "a.container=A1\n", "b.container=B\n", "x.target=X\n", "y.target=Y1\n"))
	g2 := genOf("lychd.pod=[Pod]\n", "a.container=A2\n", "c.container=C\n", "y.target=Y2\n", "z.target=Z\n")
	p := apply(t, s, g2)
	wantChanges := []string{
		"update ~/.config/containers/systemd/lychd/a.container",
		"remove ~/.config/containers/systemd/lychd/b.container",
		"create ~/.config/containers/systemd/lychd/c.container",
		"remove ~/.config/systemd/user/x.target",
		"update ~/.config/systemd/user/y.target",
		"create ~/.config/systemd/user/z.target",
	}
	if got := ops(p.Changes); !slices.Equal(got, wantChanges) {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantChanges, "\n"))
	}
	wantInternal := []string{
		"update ~/.local/share/lychd/bindings/current",
		"remove ~/.local/share/lychd/bindings/gen-1",
		"create ~/.local/share/lychd/bindings/gen-2",
	}
	if got := ops(p.Internal); !slices.Equal(got, wantInternal) {
		t.Fatalf("internal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantInternal, "\n"))
	}
	wantDiffs := map[string]string{
		"~/.config/containers/systemd/lychd/a.container": "--- ~/.config/containers/systemd/lychd/a.container\n+++ ~/.config/containers/systemd/lychd/a.container\n@@ -1 +1 @@\n-A1\n+A2\n",
		"~/.config/containers/systemd/lychd/b.container": "--- ~/.config/containers/systemd/lychd/b.container\n+++ /dev/null\n@@ -1 +0,0 @@\n-B\n",
	}
	for _, c := range p.Changes {
		if want, ok := wantDiffs[c.Path]; ok && c.Diff != want {
			t.Errorf("diff of %s:\n%s\nwant:\n%s", c.Path, c.Diff, want)
		}
	}
	assertCanonical(t, s, g2)
}

func TestReapplyWritesNothing(t *testing.T) {
	s := newSite(t)
	g := genOf("lychd.pod=[Pod]\n", "a.container=A\n", "x.target=X\n")
	apply(t, s, g)
	before := snapshot(t, s)
	var steps []string
	s.Hook = func(step string) { steps = append(steps, step) }
	p := apply(t, s, genOf("x.target=X\n", "a.container=A\n", "lychd.pod=[Pod]\n"))
	if !p.Empty() {
		t.Fatalf("second Apply planned %v %v", ops(p.Changes), ops(p.Internal))
	}
	if !slices.Equal(steps, []string{"lock"}) {
		t.Fatalf("second Apply took steps %v, want only [lock]", steps)
	}
	after := snapshot(t, s)
	for path, b := range before {
		if after[path] != b {
			t.Errorf("%s changed: %s -> %s", path, b, after[path])
		}
	}
	if len(after) != len(before) {
		t.Errorf("entries: %d before, %d after", len(before), len(after))
	}
	if p, err := s.Plan(g); err != nil || !p.Empty() {
		t.Fatalf("Plan = %v, %v; want empty", p, err)
	}
}

func TestPlanOnlyReads(t *testing.T) {
	s := newSite(t)
	p, err := s.Plan(genOf("a.container=A\n", "x.target=X\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 2 {
		t.Fatalf("changes %v", ops(p.Changes))
	}
	if _, err := os.Stat(filepath.Join(s.Home, ".config")); !os.IsNotExist(err) {
		t.Fatalf("Plan created files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Home, ".local")); !os.IsNotExist(err) {
		t.Fatalf("Plan created files: %v", err)
	}
}

func TestApplyEmptyGenerationRemovesEverything(t *testing.T) {
	s := newSite(t)
	apply(t, s, genOf("a.container=A\n", "x.target=X\n"))
	p := apply(t, s, Generation{})
	if got := ops(p.Changes); !slices.Equal(got, []string{
		"remove ~/.config/containers/systemd/lychd/a.container",
		"remove ~/.config/systemd/user/x.target",
	}) {
		t.Fatalf("changes %v", got)
	}
	assertCanonical(t, s, Generation{})
}

func TestForeignFiles(t *testing.T) {
	g := genOf("lychd.pod=[Pod]\n", "a.container=A\n", "x.target=X\n")
	cases := []struct {
		name  string
		plant func(s *Site)
		want  string
	}{{
		name:  "regular file at a target name",
		plant: func(s *Site) { mustWrite(t, filepath.Join(s.SystemdDir, "x.target"), "mine") },
		want:  "{{S}}/x.target is in the way: lychd needs this name for its unit x.target, and lychd did not create this file (its own links point into {{B}}); move it away, then bind again",
	}, {
		name: "symlink elsewhere at a target name",
		plant: func(s *Site) {
			mustWrite(t, filepath.Join(s.Home, "elsewhere.target"), "mine")
			os.Symlink(filepath.Join(s.Home, "elsewhere.target"), filepath.Join(s.SystemdDir, "x.target"))
		},
		want: "{{S}}/x.target is in the way: lychd needs this name for its unit x.target, and lychd did not create this file (its own links point into {{B}}); move it away, then bind again",
	}, {
		name: "directory at the Quadlet link",
		plant: func(s *Site) {
			os.Remove(filepath.Join(s.QuadletDir, "lychd"))
			mustWrite(t, filepath.Join(s.QuadletDir, "lychd", "mine.container"), "mine")
		},
		want: "{{Q}}/lychd is in the way: lychd needs this name for the symlink to its Quadlet units, and lychd did not create this file (its own links point into {{B}}); move it away, then bind again",
	}, {
		name:  "same-named Quadlet unit at the top",
		plant: func(s *Site) { mustWrite(t, filepath.Join(s.QuadletDir, "lychd.pod"), "mine") },
		want:  "{{Q}}/lychd.pod has the same name as lychd's Quadlet unit lychd.pod, and Quadlet would use only one of them; rename or remove it, then bind again",
	}, {
		name: "same-named Quadlet unit in a symlinked subdirectory",
		plant: func(s *Site) {
			mustWrite(t, filepath.Join(s.Home, "dotfiles", "deep", "a.container"), "mine")
			os.MkdirAll(s.QuadletDir, 0o755)
			os.Symlink(filepath.Join(s.Home, "dotfiles"), filepath.Join(s.QuadletDir, "dots"))
		},
		want: "{{Q}}/dots/deep/a.container has the same name as lychd's Quadlet unit a.container, and Quadlet would use only one of them; rename or remove it, then bind again",
	}, {
		name: "two at once",
		plant: func(s *Site) {
			mustWrite(t, filepath.Join(s.SystemdDir, "x.target"), "mine")
			mustWrite(t, filepath.Join(s.QuadletDir, "sub", "a.container"), "mine")
		},
		want: "{{S}}/x.target is in the way: lychd needs this name for its unit x.target, and lychd did not create this file (its own links point into {{B}}); move it away, then bind again\n" +
			"{{Q}}/sub/a.container has the same name as lychd's Quadlet unit a.container, and Quadlet would use only one of them; rename or remove it, then bind again",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, installedFirst := range []bool{false, true} {
				s := newSite(t)
				if installedFirst {
					apply(t, s, genOf("old.container=O\n"))
				}
				os.MkdirAll(s.SystemdDir, 0o755)
				tc.plant(s)
				want := strings.NewReplacer("{{S}}", s.SystemdDir, "{{Q}}", s.QuadletDir, "{{B}}", s.BindingsDir).Replace(tc.want)
				before := snapshot(t, s)
				if _, err := s.Plan(g); err == nil || err.Error() != want {
					t.Fatalf("Plan error:\n%v\nwant:\n%s", err, want)
				}
				if _, err := s.Apply(ctx, g); err == nil || err.Error() != want {
					t.Fatalf("Apply error:\n%v\nwant:\n%s", err, want)
				}
				after := snapshot(t, s)
				if fmt.Sprint(before) != fmt.Sprint(after) {
					t.Fatalf("Apply wrote despite the error:\nbefore %v\nafter  %v", before, after)
				}
			}
		})
	}
}

func TestUnrelatedUserFilesAreKept(t *testing.T) {
	s := newSite(t)
	mustWrite(t, filepath.Join(s.SystemdDir, "mine.target"), "M")
	mustWrite(t, filepath.Join(s.SystemdDir, "lychd-old.target"), "user wrote this")
	mustWrite(t, filepath.Join(s.QuadletDir, "mine.container"), "M")
	mustWrite(t, filepath.Join(s.QuadletDir, "lychd.pod.d", "override.conf"), "M")
	os.Symlink("/usr/lib/systemd/user/foo.target", filepath.Join(s.SystemdDir, "foo.target"))
	apply(t, s, genOf("lychd.pod=P\n", "x.target=X\n"))
	apply(t, s, genOf("lychd.pod=P2\n"))
	for _, p := range []string{"mine.target", "lychd-old.target"} {
		if _, err := os.Lstat(filepath.Join(s.SystemdDir, p)); err != nil {
			t.Errorf("user file removed: %v", err)
		}
	}
	if target, err := os.Readlink(filepath.Join(s.SystemdDir, "foo.target")); err != nil || target != "/usr/lib/systemd/user/foo.target" {
		t.Errorf("user link changed: %q %v", target, err)
	}
	for _, p := range []string{"mine.container", "lychd.pod.d/override.conf"} {
		if _, err := os.Lstat(filepath.Join(s.QuadletDir, p)); err != nil {
			t.Errorf("user file removed: %v", err)
		}
	}
}

func TestStaleLeftoversAreCleaned(t *testing.T) {
	s := newSite(t)
	g := genOf("lychd.pod=P\n", "x.target=X\n")
	apply(t, s, g)
	outside := filepath.Join(s.Home, "outside")
	mustWrite(t, filepath.Join(outside, "quadlet", "keep.container"), "K")
	// A half-written generation, a planted gen symlink, a dangling link of
	// ours and temporary links from a killed run.
	mustWrite(t, filepath.Join(s.BindingsDir, "gen-7", "quadlet", "lychd.pod"), "half")
	os.Symlink(outside, filepath.Join(s.BindingsDir, "gen-9"))
	os.Symlink(filepath.Join(s.BindingsDir, "current", "systemd", "gone.target"), filepath.Join(s.SystemdDir, "gone.target"))
	os.Symlink("gen-7", filepath.Join(s.BindingsDir, ".current.lychd-tmp"))
	os.Symlink(filepath.Join(s.BindingsDir, "current", "systemd", "x.target"), filepath.Join(s.SystemdDir, ".x.target.lychd-tmp"))
	os.Symlink(filepath.Join(s.BindingsDir, "current", "quadlet"), filepath.Join(s.QuadletDir, ".lychd.lychd-tmp"))

	p, err := s.Plan(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Changes) != 0 {
		t.Fatalf("visible changes %v", ops(p.Changes))
	}
	wantInternal := []string{
		"remove ~/.config/containers/systemd/.lychd.lychd-tmp",
		"remove ~/.config/systemd/user/.x.target.lychd-tmp",
		"remove ~/.config/systemd/user/gone.target",
		"remove ~/.local/share/lychd/bindings/.current.lychd-tmp",
		"remove ~/.local/share/lychd/bindings/gen-7",
		"remove ~/.local/share/lychd/bindings/gen-9",
	}
	if got := ops(p.Internal); !slices.Equal(got, wantInternal) {
		t.Fatalf("internal:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantInternal, "\n"))
	}
	// A new generation is numbered past every leftover.
	g2 := genOf("lychd.pod=P2\n")
	apply(t, s, g2)
	assertCanonical(t, s, g2)
	if target, _ := os.Readlink(filepath.Join(s.BindingsDir, "current")); target != "gen-10" {
		t.Fatalf("current -> %s, want gen-10", target)
	}
	if _, err := os.Stat(filepath.Join(outside, "quadlet", "keep.container")); err != nil {
		t.Fatalf("followed the planted gen-9 link: %v", err)
	}
}

func TestLeftoversAloneAreCleaned(t *testing.T) {
	s := newSite(t)
	g := genOf("lychd.pod=P\n", "x.target=X\n")
	apply(t, s, g)
	mustWrite(t, filepath.Join(s.BindingsDir, "gen-7", "quadlet", "lychd.pod"), "half")
	os.Symlink(filepath.Join(s.BindingsDir, "current", "systemd", "gone.target"), filepath.Join(s.SystemdDir, "gone.target"))
	var steps []string
	s.Hook = func(step string) { steps = append(steps, step) }
	apply(t, s, g)
	want := []string{"lock", "remove systemd/gone.target", "fsync systemd (old links removed)", "remove bindings/gen-7", "fsync bindings (old generations removed)"}
	if !slices.Equal(steps, want) {
		t.Fatalf("steps %v\nwant %v", steps, want)
	}
	assertCanonical(t, s, g)
}

func TestSymlinkAttacks(t *testing.T) {
	t.Run("current planted to a foreign directory", func(t *testing.T) {
		s := newSite(t)
		g := genOf("lychd.pod=P\n")
		apply(t, s, g)
		outside := filepath.Join(s.Home, "outside")
		mustWrite(t, filepath.Join(outside, "quadlet", "evil.container"), "E")
		cur := filepath.Join(s.BindingsDir, "current")
		os.Remove(cur)
		os.Symlink(outside, cur)
		p := apply(t, s, g)
		if got := ops(p.Changes); !slices.Equal(got, []string{
			"remove ~/.config/containers/systemd/lychd/evil.container",
			"create ~/.config/containers/systemd/lychd/lychd.pod",
		}) {
			t.Fatalf("changes %v", got)
		}
		assertCanonical(t, s, g)
		if data, err := os.ReadFile(filepath.Join(outside, "quadlet", "evil.container")); err != nil || string(data) != "E" {
			t.Fatalf("outside file touched: %q %v", data, err)
		}
	})
	t.Run("current is a directory", func(t *testing.T) {
		s := newSite(t)
		mustWrite(t, filepath.Join(s.BindingsDir, "current", "x"), "x")
		os.Chmod(s.BindingsDir, 0o700)
		want := filepath.Join(s.BindingsDir, "current") + " is not a symlink; lychd keeps a symlink to the active generation there; move it away, then bind again"
		if _, err := s.Apply(ctx, genOf("a.container=A\n")); err == nil || err.Error() != want {
			t.Fatalf("error %v\nwant %s", err, want)
		}
	})
	t.Run("lock file is a symlink", func(t *testing.T) {
		s := newSite(t)
		os.MkdirAll(s.BindingsDir, 0o700)
		victim := filepath.Join(s.Home, "victim")
		mustWrite(t, victim, "V")
		os.Symlink(victim, filepath.Join(s.BindingsDir, "bind.lock"))
		want := "open lock file " + filepath.Join(s.BindingsDir, "bind.lock") + ": it is a symlink, which lychd never follows; remove it and retry"
		if _, err := s.Apply(ctx, genOf("a.container=A\n")); err == nil || err.Error() != want {
			t.Fatalf("error %v\nwant %s", err, want)
		}
	})
	t.Run("our link repointed into another generation", func(t *testing.T) {
		s := newSite(t)
		g := genOf("x.target=X\n")
		apply(t, s, g)
		// A link into BindingsDir that is not canonical is lychd's and gets
		// replaced (without following it).
		p := filepath.Join(s.SystemdDir, "x.target")
		os.Remove(p)
		os.Symlink(filepath.Join(s.BindingsDir, "gen-1", "systemd", "x.target"), p)
		plan := apply(t, s, g)
		if got := ops(plan.Internal); !slices.Equal(got, []string{"update ~/.config/systemd/user/x.target"}) {
			t.Fatalf("internal %v", got)
		}
		assertCanonical(t, s, g)
	})
}

func TestUnsafeDirectories(t *testing.T) {
	s := newSite(t)
	apply(t, s, genOf("a.container=A\n"))
	os.Chmod(s.SystemdDir, 0o777)
	want := "binding directory " + s.SystemdDir + " is writable by group or others (mode 0777), so another user could change lychd's units; fix it with: chmod go-w " + s.SystemdDir
	if _, err := s.Apply(ctx, genOf("b.container=B\n")); err == nil || err.Error() != want {
		t.Fatalf("error %v\nwant %s", err, want)
	}
	if _, err := s.Plan(genOf("b.container=B\n")); err == nil || err.Error() != want {
		t.Fatalf("Plan error %v\nwant %s", err, want)
	}
	os.Chmod(s.SystemdDir, 0o755)

	if os.Geteuid() == 0 {
		os.Chown(s.BindingsDir, 12345, 12345)
		want = fmt.Sprintf("binding directory %s is owned by uid 12345, not by you (uid 0); lychd only binds into your own directories; fix it with: chown 0 %s", s.BindingsDir, s.BindingsDir)
		if _, err := s.Apply(ctx, genOf("b.container=B\n")); err == nil || err.Error() != want {
			t.Fatalf("error %v\nwant %s", err, want)
		}
		os.Chown(s.BindingsDir, 0, 0)
	}

	os.RemoveAll(s.QuadletDir)
	mustWrite(t, s.QuadletDir, "not a dir")
	want = "binding directory " + s.QuadletDir + " is not a directory; move it away so lychd can create it"
	if _, err := s.Apply(ctx, genOf("b.container=B\n")); err == nil || err.Error() != want {
		t.Fatalf("error %v\nwant %s", err, want)
	}
}

func TestInvalidNames(t *testing.T) {
	cases := []struct {
		g    Generation
		want string
	}{
		{Generation{Quadlet: []File{{Name: "../x.container"}}}, `invalid Quadlet file name "../x.container": contains '/'; only base names are allowed`},
		{Generation{Quadlet: []File{{Name: ".."}}}, `invalid Quadlet file name "..": not a file name`},
		{Generation{Quadlet: []File{{Name: ""}}}, `invalid Quadlet file name "": empty`},
		{Generation{Quadlet: []File{{Name: "a\x00.pod"}}}, `invalid Quadlet file name "a\x00.pod": contains a NUL byte`},
		{Generation{Quadlet: []File{{Name: ".hidden.pod"}}}, `invalid Quadlet file name ".hidden.pod": starts with '.'`},
		{Generation{Quadlet: []File{{Name: "a b.pod"}}}, `invalid Quadlet file name "a b.pod": contains ' '; unit names use only letters, digits and ":-_.@"`},
		{Generation{Quadlet: []File{{Name: "x.target"}}}, `invalid Quadlet file name "x.target": does not end in one of .container .pod .volume .network .kube .image .build`},
		{Generation{Quadlet: []File{{Name: ".pod"}}}, `invalid Quadlet file name ".pod": starts with '.'`},
		{Generation{Systemd: []File{{Name: "x.service"}}}, `invalid systemd file name "x.service": does not end in one of .target`},
		{Generation{Systemd: []File{{Name: "x.target"}, {Name: "x.target"}}}, `systemd file "x.target" appears twice in the generation`},
	}
	for _, tc := range cases {
		s := newSite(t)
		if _, err := s.Plan(tc.g); err == nil || err.Error() != tc.want {
			t.Errorf("Plan error %v\nwant %s", err, tc.want)
		}
		if _, err := s.Apply(ctx, tc.g); err == nil || err.Error() != tc.want {
			t.Errorf("Apply error %v\nwant %s", err, tc.want)
		}
		if _, err := os.Stat(filepath.Join(s.Home, ".config")); !os.IsNotExist(err) {
			t.Errorf("wrote despite invalid name %v", tc.g)
		}
	}
}

func TestApplyCancelledWhileWaitingForLock(t *testing.T) {
	s := newSite(t)
	apply(t, s, genOf("a.container=A\n"))
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	s2 := *s
	s2.Hook = func(step string) {
		if step == "mkdir gen" {
			close(held)
			<-release
		}
	}
	go func() { _, err := s2.Apply(ctx, genOf("b.container=B\n")); done <- err }()
	<-held
	c, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Apply(c, genOf("c.container=C\n"))
	want := "wait for lock " + filepath.Join(s.BindingsDir, "bind.lock") + " (another lychd is binding): context canceled"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v\nwant %s", err, want)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	assertCanonical(t, s, genOf("b.container=B\n"))
}

// TestStepOrder pins the order of the steps (see doc.go) for a change that
// adds, changes and removes files and targets.
func TestStepOrder(t *testing.T) {
	s := newSite(t)
	apply(t, s, genOf("a.container=A\n", "b.container=B\n", "x.target=X\n", "y.target=Y\n"))
	var steps []string
	s.Hook = func(step string) { steps = append(steps, step) }
	apply(t, s, genOf("a.container=A2\n", "c.container=C\n", "y.target=Y\n", "z.target=Z\n"))
	want := []string{
		"lock",
		"mkdir gen",
		"mkdir gen/quadlet",
		"mkdir gen/systemd",
		"write gen/quadlet/a.container",
		"write gen/quadlet/c.container",
		"write gen/systemd/y.target",
		"write gen/systemd/z.target",
		"fsync gen files",
		"fsync gen/quadlet",
		"fsync gen/systemd",
		"fsync gen",
		"fsync bindings (new generation)",
		"symlink systemd/z.target",
		"fsync systemd (new links)",
		"rename bindings/current",
		"fsync bindings (switch)",
		"remove systemd/x.target",
		"fsync systemd (old links removed)",
		"remove bindings/gen-1",
		"fsync bindings (old generations removed)",
	}
	if !slices.Equal(steps, want) {
		t.Fatalf("steps:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	assertCanonical(t, s, genOf("a.container=A2\n", "c.container=C\n", "y.target=Y\n", "z.target=Z\n"))

	// A fresh site also creates the directories, syncing each parent.
	s = newSite(t)
	steps = nil
	s.Hook = func(step string) { steps = append(steps, step) }
	apply(t, s, Generation{})
	want = []string{
		"mkdir ~/.local", "fsync parent of ~/.local",
		"mkdir ~/.local/share", "fsync parent of ~/.local/share",
		"mkdir ~/.local/share/lychd", "fsync parent of ~/.local/share/lychd",
		"mkdir ~/.local/share/lychd/bindings", "fsync parent of ~/.local/share/lychd/bindings",
		"mkdir ~/.config", "fsync parent of ~/.config",
		"mkdir ~/.config/containers", "fsync parent of ~/.config/containers",
		"mkdir ~/.config/containers/systemd", "fsync parent of ~/.config/containers/systemd",
		"mkdir ~/.config/systemd", "fsync parent of ~/.config/systemd",
		"mkdir ~/.config/systemd/user", "fsync parent of ~/.config/systemd/user",
		"lock",
		"mkdir gen", "mkdir gen/quadlet", "mkdir gen/systemd",
		"fsync gen files", "fsync gen/quadlet", "fsync gen/systemd", "fsync gen", "fsync bindings (new generation)",
		"symlink quadlet/lychd", "fsync quadlet",
		"rename bindings/current", "fsync bindings (switch)",
	}
	if !slices.Equal(steps, want) {
		t.Fatalf("steps:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	assertCanonical(t, s, Generation{})
}
