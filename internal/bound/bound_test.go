package bound

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/model"
)

func record(t *testing.T) *Record {
	t.Helper()
	src := model.Source{Kind: model.SourceCodex, Name: "soulstones/a.toml", Line: 1}
	m := &model.Manifest{
		Alliances: [][]string{{"reasoning", "tts"}},
		Runes: []model.Rune{
			{Name: "vessel", Kind: model.KindCore, Image: "x", Source: model.Source{Kind: model.SourceCore, Name: "core"}},
			{Name: "vpre", Kind: model.KindSoulstone, Image: "x", Groups: []string{"vision"}, Source: src},
			{Name: "vana", Kind: model.KindSoulstone, Image: "x", Groups: []string{"vision"}, Source: src},
			{Name: "hermes", Kind: model.KindSoulstone, Image: "x", Groups: []string{"reasoning"}, Source: src},
			{Name: "xtts", Kind: model.KindSoulstone, Image: "x", Groups: []string{"tts"}, Source: src},
		},
	}
	g, err := covenant.Build(m.Runes, m.Alliances)
	if err != nil {
		t.Fatal(err)
	}
	q := map[string][]byte{"lychd.pod": []byte("P"), "lychd-vessel.container": []byte("V")}
	for _, r := range m.Runes[1:] {
		q[r.UnitBase()+".container"] = []byte(r.Name)
	}
	s := map[string][]byte{"lychd-coven-vision.target": []byte("C"), "lychd-hold-vision.target": []byte("H")}
	return New(m, g, q, s, nil, map[string][]string{"lychd-hold-vision.target": {"vana", "vpre"}}, Inputs{Codex: "d"})
}

func TestResolve(t *testing.T) {
	r := record(t)
	for name, want := range map[string]string{
		"vision": "lychd-coven-vision.target", "reasoning": "lychd-soulstone-hermes.service",
		"hermes": "lychd-soulstone-hermes.service", "vessel": "lychd-vessel.service",
	} {
		got, err := r.Resolve(name)
		if err != nil || got.Unit != want {
			t.Errorf("Resolve(%s) = %+v, %v; want %s", name, got, err, want)
		}
	}
	if _, err := r.Resolve("visoin"); err == nil || err.Error() != `"visoin" is neither a coven, a soulstone nor a core rune of the bound Sepulcher (did you mean "vision"?); see them with: lychd status` {
		t.Errorf("Resolve(visoin) error = %v", err)
	}
	if got := strings.Join(r.Soulstones("lychd-hold-vision.target"), ","); got != "vana,vpre" {
		t.Errorf("Soulstones(hold) = %s", got)
	}
}

// A record survives the round trip through its file, and a record of
// another layout version is refused with what to do.
func TestReadAndVersions(t *testing.T) {
	r := record(t)
	data, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Read(filepath.Join(dir, "current")); err != ErrNotBound {
		t.Errorf("Read of nothing = %v, want ErrNotBound", err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.Marshal()
	if string(again) != string(data) {
		t.Errorf("round trip differs:\n%s\n%s", again, data)
	}
	files, err := Files(data)
	if err != nil || files["quadlet/lychd.pod"] != Digest([]byte("P")) {
		t.Errorf("Files = %v, %v", files, err)
	}
	bad := strings.Replace(string(data), `"version": 1`, `"version": 2`, 1)
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil || err.Error() != "the bound record "+filepath.Join(dir, FileName)+" has layout version 2, and this lychd reads version 1; run lychd bind to record the bound state again" {
		t.Errorf("Read of version 2: %v", err)
	}
	if err := os.Remove(filepath.Join(dir, FileName)); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "has no bound.json (it was bound by an older lychd); run: lychd bind") {
		t.Errorf("Read of a generation without a record: %v", err)
	}
}
