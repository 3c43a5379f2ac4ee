package codex

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad writes arbitrary bytes as a soulstones file. Load must not panic
// and must return either a Codex or Errors that all name that file and a
// line within it.
func FuzzLoad(f *testing.F) {
	// Seed with every example soulstones file; testdata/fuzz/FuzzLoad holds
	// more seeds (malformed documents).
	examples, _ := filepath.Glob(filepath.Join("testdata", "codex", "*", "soulstones", "*.toml"))
	for _, name := range examples {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Deep and wide documents (refused before decoding).
	f.Add([]byte("[a]\nimage = \"x/y:1\"\n[a.environment]\n" + strings.Repeat("b.", 40) + "c = \"1\"\n"))
	f.Add([]byte("[" + strings.Repeat("a.", 40) + "b]\nx = 1\n"))
	f.Add([]byte("[a]\nimage = \"x/y:1\"\nexec = " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n"))
	const file = "soulstones/fuzz.toml"
	// One directory per fuzzing process, rewritten by each run: creating a
	// directory per input would dominate the run time. Inputs run one at a
	// time within a process.
	dir := f.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "soulstones"), 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(file)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(dir)
		if err == nil {
			if c == nil {
				t.Fatal("Load returned neither a Codex nor an error")
			}
			for _, r := range c.Runes {
				if r.Source.Name != file || r.Source.Line < 1 {
					t.Fatalf("rune %q has source %+v", r.Name, r.Source)
				}
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error %T %v is not a non-empty Errors", err, err)
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, e := range errs {
			if e.File != file || e.Line < 1 || e.Line > lines || e.Msg == "" {
				t.Fatalf("error without a file and line in the document (%d lines): %#v", lines, e)
			}
		}
	})
}
