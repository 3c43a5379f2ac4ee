package codex

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLoadRich loads the rich example Codex (7 soulstones, 2 portals).
func BenchmarkLoadRich(b *testing.B) {
	dir := filepath.Join("testdata", "codex", "rich")
	for b.Loop() {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad300 loads a Codex of 300 soulstones in 30 files.
func BenchmarkLoad300(b *testing.B) {
	files := map[string]string{}
	for f := 0; f < 30; f++ {
		var sb strings.Builder
		for i := 0; i < 10; i++ {
			fmt.Fprintf(&sb, "[s%d-%d]\nimage = \"ghcr.io/x/y:1\"\ngroups = [\"g%d\"]\nport = %d\ndevices = [\"nvidia.com/gpu=all\"]\nenvironment = { A = \"1\", B = \"2\" }\ncapabilities = [\"OpenAIChatCompletions\"]\n\n", f, i, f, 1000+f*10+i)
		}
		files[fmt.Sprintf("soulstones/f%d.toml", f)] = sb.String()
	}
	dir := writeCodex(b, files)
	for b.Loop() {
		c, err := Load(dir)
		if err != nil || len(c.Runes) != 300 {
			b.Fatal(err)
		}
	}
}
