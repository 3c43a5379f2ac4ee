package codex

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsExamples loads the TOML examples of docs/codex.md, so that the
// user's reference never shows a Codex that lychd refuses.
func TestDocsExamples(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "codex.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	blocks := strings.Split(string(md), "```toml\n")[1:]
	for i, b := range blocks {
		b, _, _ = strings.Cut(b, "```")
		name := "soulstones/doc.toml"
		switch {
		case strings.Contains(b, "alliances ="):
			name = "lychd.toml"
		case strings.Contains(b, "url ="):
			name = "portals/doc.toml"
		}
		if _, dup := files[name]; dup {
			t.Fatalf("block %d: two examples for %s; extend this test", i, name)
		}
		files[name] = b
	}
	if len(files) != 3 {
		t.Fatalf("found examples for %d files, want lychd.toml, a soulstone file and a portal file", len(files))
	}
	c, err := Load(writeCodex(t, files))
	if err != nil {
		t.Fatalf("the examples of docs/codex.md do not load:\n%v", err)
	}
	if len(c.Runes) != 2 || len(c.Animators) != 1 || len(c.Alliances) != 1 || len(c.Extensions) != 1 {
		t.Errorf("loaded %d runes, %d animators, %d alliances, %d extensions; want 2, 1, 1, 1", len(c.Runes), len(c.Animators), len(c.Alliances), len(c.Extensions))
	}
}
