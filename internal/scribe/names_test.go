package scribe

import (
	"testing"

	"github.com/lychd/lychd/internal/model"
)

// TestUnitNameCollisions checks that Compile refuses two things that would
// get the same unit, whatever their kinds: Quadlet would silently keep one
// of them and the other would never run.
func TestUnitNameCollisions(t *testing.T) {
	ext := model.Source{Kind: model.SourceExtension, Name: "evil"}
	img := "docker.io/library/busybox:1.36"
	for _, tc := range []struct {
		name  string
		runes []model.Rune
		want  string
	}{
		{"always-on rune called pod", []model.Rune{
			{Name: "pod", Kind: model.KindCore, Image: img, Source: ext},
		}, `rune "pod" (extension evil) and the pod would both be unit lychd-pod.service; rename the rune`},
		{"always-on rune called like a soulstone's unit", []model.Rune{
			{Name: "x", Kind: model.KindSoulstone, Image: img, Source: codexSrc("soulstones/x.toml", 1)},
			{Name: "soulstone-x", Kind: model.KindCore, Image: img, Source: ext},
		}, `rune "x" (soulstones/x.toml:1) and rune "soulstone-x" (extension evil) would both be unit lychd-soulstone-x.service; rename one of them`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(&model.Manifest{Runes: tc.runes})
			if err == nil || err.Error() != tc.want {
				t.Errorf("Compile:\n got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// TestDefinedTwiceIsTheOnlyError: a Codex soulstone named like an
// extension's rune is refused for that, and only that; the checks of the
// dependencies between runes would read the two as one rune and blame a
// requires= no source wrote.
func TestDefinedTwiceIsTheOnlyError(t *testing.T) {
	ext := model.Source{Kind: model.SourceExtension, Name: "stt-organ"}
	img := "docker.io/library/busybox:1.36"
	_, err := Compile(&model.Manifest{Runes: []model.Rune{
		{Name: "whisper-large", Kind: model.KindSoulstone, Image: img, Groups: []string{"stt"}, Source: ext},
		{Name: "whisper-vad", Kind: model.KindSoulstone, Image: img, Groups: []string{"stt"}, After: []string{"lychd-soulstone-whisper-large.service"}, Source: ext},
		{Name: "whisper-vad", Kind: model.KindSoulstone, Image: img, Source: codexSrc("soulstones/stt.toml", 1)},
	}})
	want := `rune "whisper-vad" is defined twice: by extension stt-organ and by soulstones/stt.toml:1; rename one of them`
	if err == nil || err.Error() != want {
		t.Errorf("Compile:\n got %v\nwant %s", err, want)
	}
}
