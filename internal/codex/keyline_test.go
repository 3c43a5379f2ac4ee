package codex

import (
	"os"
	"path/filepath"
	"testing"
)

func TestKeyLine(t *testing.T) {
	dir := t.TempDir()
	toml := "[pod]\nuserns = \"keep-id\"\n\n[extensions.whisper]\nmodel_size = \"large\"\nmodels = [\n  { name = \"a\" },\n  { name = \"b\" },\n]\n\n[extensions.empty]\n"
	if err := os.WriteFile(filepath.Join(dir, MainFile), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path []string
		line int
		ok   bool
	}{
		{[]string{"extensions", "whisper"}, 4, true},
		{[]string{"extensions", "whisper", "model_size"}, 5, true},
		{[]string{"extensions", "whisper", "models", "[1]", "name"}, 8, true},
		{[]string{"extensions", "whisper", "modle_size"}, 4, true}, // not written: its table
		{[]string{"extensions", "empty"}, 11, true},
		{[]string{"core"}, 0, false},
	} {
		line, ok := c.KeyLine(tc.path...)
		if line != tc.line || ok != tc.ok {
			t.Errorf("KeyLine(%q) = %d, %v; want %d, %v", tc.path, line, ok, tc.line, tc.ok)
		}
	}
	if line, ok := (&Codex{}).KeyLine("extensions", "x"); ok || line != 0 {
		t.Errorf("KeyLine without lychd.toml = %d, %v", line, ok)
	}
}
