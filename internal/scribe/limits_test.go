package scribe

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/unitfile"
	"github.com/lychd/lychd/internal/verify"
	"github.com/lychd/lychd/sdk/validate"
)

// hostileManifest is the worst case at the supported maximum: n soulstones
// with names of the longest length, each in a coven of its own, no
// alliance, so that every coven is hostile to every other.
func hostileManifest(n int) *model.Manifest {
	m := &model.Manifest{}
	for i := 0; i < n; i++ {
		m.Runes = append(m.Runes, model.Rune{
			Name: fmt.Sprintf("soulstone-with-a-name-of-the-longest-length-%019d", i), Kind: model.KindSoulstone,
			Image: "docker.io/library/busybox:1.36", Source: codexSrc("soulstones/hostile.toml", i+1),
		})
	}
	return m
}

// TestLimitsAcrossSources checks that Compile refuses a Sepulcher past the
// limits of validate (here: covens) before computing anything, naming the
// rune that passes the limit and its source, although each source alone is
// within them.
func TestLimitsAcrossSources(t *testing.T) {
	m := hostileManifest(validate.MaxCovens)
	m.Runes = append(m.Runes, model.Rune{Name: "one-more", Kind: model.KindSoulstone, Image: "docker.io/library/busybox:1.36",
		Source: model.Source{Kind: model.SourceExtension, Name: "vision-organ"}})
	_, err := Compile(m)
	want := `extension vision-organ: rune "one-more": this soulstone's covens make 501 covens; lychd supports at most 500 (a soulstone without groups is a coven of its own): put soulstones that take turns on the same hardware in shared covens`
	if err == nil || err.Error() != want {
		t.Errorf("Compile:\n got %.600v\nwant %s", err, want)
	}
	m = &model.Manifest{Runes: []model.Rune{{Name: "a", Kind: model.KindSoulstone, Image: "x/y:1", Source: codexSrc("soulstones/a.toml", 1)}}}
	for i := 0; i <= validate.MaxPublishedPorts; i++ {
		m.Pod.Publish = append(m.Pod.Publish, fmt.Sprintf("127.0.0.1:%d:80", 1000+i))
	}
	_, err = Compile(m)
	if want := "lychd.toml: pod.publish: this makes 1001 ports published on the host; lychd supports at most 1000"; err == nil || err.Error() != want {
		t.Errorf("Compile:\n got %v\nwant %s", err, want)
	}
}

// largestRune is a soulstone at every per-rune limit at once, its text
// made of the characters that escaping doubles.
func largestRune() model.Rune {
	worst := func(n int) string { return strings.Repeat(`%$"\`, n/4+1)[:n] }
	r := model.Rune{Name: "large", Kind: model.KindSoulstone, Image: "docker.io/library/busybox:1.36",
		Description: strings.Repeat("d%", validate.MaxDescriptionLen/2), Source: codexSrc("soulstones/large.toml", 1)}
	budget := validate.MaxRuneSize - len(r.Name) - len(r.Image) - len(r.Description)
	r.Environment = []model.EnvVar{{Name: "V", Value: worst(validate.MaxValueLen)}}
	budget -= 1 + validate.MaxValueLen
	for budget > 0 {
		n := min(validate.MaxValueLen, budget)
		r.Exec = append(r.Exec, "-"+worst(n-1))
		budget -= n
	}
	return r
}

// TestLargestRuneThroughQuadlet writes a rune at every size limit, all of
// its text made of characters escaping doubles, and checks that every line
// lychd writes stays within its writer's limit, that the real Quadlet 5.4
// generator and systemd-analyze accept the result (systemd refuses a unit
// with a line over 1 MiB) and that the values read back.
func TestLargestRuneThroughQuadlet(t *testing.T) {
	r := largestRune()
	if n := validate.RuneSize(ruleRune(&r)); n != validate.MaxRuneSize {
		t.Fatalf("the largest rune is %d bytes, want %d", n, validate.MaxRuneSize)
	}
	if ps := validate.CheckRune(ruleRune(&r), validate.FromCodex); len(ps) > 0 {
		t.Fatalf("the largest rune breaks the rules: %v", ps)
	}
	out, err := Compile(&model.Manifest{Runes: []model.Rune{r}})
	if err != nil {
		t.Fatal(err)
	}
	services := generatedServices(t, out)
	p := services["lychd-soulstone-large.service"]
	words := argv(t, "lychd-soulstone-large.service", p, "ExecStart")
	var got []string
	for _, w := range words[len(words)-len(r.Exec):] {
		v, ok := unitfile.Unexpanded(w)
		if !ok {
			t.Fatalf("exec word %.40q reaches systemd's expansion", w)
		}
		got = append(got, v)
	}
	if !reflect.DeepEqual(got, r.Exec) {
		t.Errorf("exec words do not read back")
	}
	if env := flagArgs(t, "large", words, "--env"); !reflect.DeepEqual(env, []string{"V=" + r.Environment[0].Value}) {
		t.Errorf("--env does not read back")
	}
	longest := 0
	for _, line := range strings.Split(p.Get("Service", "ExecStart")[0], "\n") {
		longest = max(longest, len(line))
	}
	t.Logf("ExecStart= is %d bytes", longest)
}

// TestHostileAtTheLimit compiles the worst case at the supported maximum
// (MaxCovenSets soulstones, every one hostile to every other) and checks
// that the real Quadlet generator and systemd-analyze accept it; its cost
// is BenchmarkCompileHostile's.
func TestHostileAtTheLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("the worst case at the limits is skipped with -short")
	}
	quadlet := testtool.Quadlet(t)
	testtool.SystemdAnalyze(t)
	out, err := Compile(hostileManifest(validate.MaxCovenSets))
	if err != nil {
		t.Fatal(err)
	}
	d := writeOut(t, out)
	size := 0
	for _, dir := range []string{d.Quadlet, d.Systemd} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			fi, _ := os.Stat(filepath.Join(dir, e.Name()))
			size += int(fi.Size())
		}
	}
	t.Logf("%d soulstones, all hostile: %d files, %d bytes", validate.MaxCovenSets, len(out.Quadlet)+len(out.Systemd), size)
	if err := verify.SystemdVerify(context.Background(), quadlet, d); err != nil {
		t.Fatal(err)
	}
}

// TestAllAlliedAtTheLimit puts MaxCovenSets soulstones in three covens each
// (MaxCovens covens of the longest names, all in one alliance): one
// presence group of 500 classes, whose hold would list them all. Every line
// must stay within the writer's limit and Quadlet and systemd must accept
// the units.
func TestAllAlliedAtTheLimit(t *testing.T) {
	m := hostileManifest(validate.MaxCovenSets)
	coven := func(i int) string {
		return fmt.Sprintf("coven-with-a-name-of-the-longest-length-%023d", i%validate.MaxCovens)
	}
	var alliance []string
	for i := range m.Runes {
		m.Runes[i].Groups = []string{coven(i), coven(i + 1), coven(i + 2)}
		alliance = append(alliance, coven(i))
	}
	m.Alliances = [][]string{alliance}
	out, err := Compile(m)
	if err != nil {
		t.Fatalf("Compile: %.300v", err)
	}
	if testing.Short() {
		return
	}
	quadlet := testtool.Quadlet(t)
	testtool.SystemdAnalyze(t)
	if err := verify.SystemdVerify(context.Background(), quadlet, writeOut(t, out)); err != nil {
		t.Fatal(err)
	}
}
