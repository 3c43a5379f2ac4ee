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

// BenchmarkLoadDeep loads hostile lychd.toml files: a dotted key 16,000 and
// 300,000 levels deep under [extensions.e] (32 KB and 600 KB), a table
// header as deep, and 120,000 keys in one table (1 MiB), all refused; and
// the largest accepted shapes: MaxKeysPerFile keys in one table, and as many
// keys each MaxKeyDepth levels deep.
func BenchmarkLoadDeep(b *testing.B) {
	deep := func(n int) string { return strings.Repeat("a.", n-1) + "a" }
	keys := func(prefix string, n int) string {
		var sb strings.Builder
		sb.WriteString("[extensions.e]\n")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&sb, "%sk%d = %d\n", prefix, i, i)
		}
		return sb.String()
	}
	for _, tc := range []struct {
		name, data string
		ok         bool
	}{
		{"dotted=16000", "[extensions.e]\n" + deep(16000) + " = 1\n", false},
		{"dotted=300000", "[extensions.e]\n" + deep(300000) + " = 1\n", false},
		{"header=300000", "[" + deep(300000) + "]\nx = 1\n", false},
		{"keys=120000", keys("", 120000), false},
		{"keys=4096", keys("", MaxKeysPerFile-2), true},
		{"keys=4096,depth=32", keys(deep(MaxKeyDepth-3)+".", MaxKeysPerFile-2-(MaxKeyDepth-3)), true},
	} {
		dir := writeCodex(b, map[string]string{MainFile: tc.data})
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.data)))
			for b.Loop() {
				if _, err := Load(dir); (err == nil) != tc.ok {
					b.Fatalf("Load: %v", err)
				}
			}
		})
	}
}
