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
		case strings.Contains(b, "alliances =") || strings.Contains(b, "[core."):
			name = "lychd.toml"
		case strings.Contains(b, "url ="):
			name = "portals/doc.toml"
		case strings.Contains(b, "engine ="):
			name = "soulstones/models.toml"
		}
		if name == "lychd.toml" {
			// lychd.toml's examples are parts of one file.
			files[name] += strings.ReplaceAll(b, "\n  ", "\n")
			continue
		}
		if _, dup := files[name]; dup {
			t.Fatalf("block %d: two examples for %s; extend this test", i, name)
		}
		files[name] = b
	}
	if len(files) != 4 {
		t.Fatalf("found examples for %d files, want lychd.toml, two soulstone files and a portal file", len(files))
	}
	c, err := Load(writeCodex(t, files))
	if err != nil {
		t.Fatalf("the examples of docs/codex.md do not load:\n%v", err)
	}
	if len(c.Runes) != 5 || len(c.Animators) != 3 || len(c.Alliances) != 1 || len(c.Extensions) != 1 || len(c.Engines) != 2 {
		t.Errorf("loaded %d runes, %d animators, %d alliances, %d extensions, %d engine soulstones; want 5, 3, 1, 1, 2", len(c.Runes), len(c.Animators), len(c.Alliances), len(c.Extensions), len(c.Engines))
	}
}

// TestDocsKeys checks that docs/codex.md documents every key the Codex
// accepts, each as `key` (a table of lychd.toml as `[key]`).
func TestDocsKeys(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "codex.md"))
	if err != nil {
		t.Fatal(err)
	}
	for what, fields := range map[string][]field{
		"soulstone": soulstoneKeys, "portal": portalKeys, "lychd.toml": mainKeys, "[pod]": podKeys,
		"[assimilation]": assimilationKeys, "[presets.NAME]": presetKeys,
	} {
		for _, f := range fields {
			if !strings.Contains(string(md), "`"+f.name+"`") && !strings.Contains(string(md), "`["+f.name) {
				t.Errorf("docs/codex.md does not document the %s key `%s`", what, f.name)
			}
		}
	}
}

// TestEngineDocsExamples loads every TOML example of docs/engines.md with
// the Codex loader: soulstones as a soulstone file, [presets.NAME] tables
// and examples that say they are in lychd.toml as lychd.toml.
func TestEngineDocsExamples(t *testing.T) {
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "engines.md"))
	if err != nil {
		t.Fatal(err)
	}
	stones, presets := 0, 0
	for i, block := range strings.Split(string(md), "```toml\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		// Indented blocks sit in list items.
		lines := strings.Split(block, "\n")
		for j, l := range lines {
			lines[j] = strings.TrimPrefix(l, "  ")
		}
		text := strings.Join(lines, "\n")
		name := "soulstones/doc.toml"
		if strings.HasPrefix(text, "# In lychd.toml") || strings.Contains(text, "[presets.") {
			name = "lychd.toml"
		}
		c, err := Load(writeCodex(t, map[string]string{name: text}))
		if err != nil {
			t.Errorf("docs/engines.md example %d does not load:\n%s\n%v", i, text, err)
			continue
		}
		stones += len(c.Runes)
		if strings.Contains(text, "[presets.") {
			presets++
		}
	}
	if stones != 3 || presets != 1 {
		t.Errorf("found %d soulstones and %d preset examples in docs/engines.md, want 3 and 1", stones, presets)
	}
}
