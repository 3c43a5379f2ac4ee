package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestArchitectureListsEveryPackage keeps the package map of
// ARCHITECTURE.md true: every directory of the repository that holds a Go
// package is in its table (by its path, or under a path/... row), every
// package the table names exists, and every row says what its packages do.
func TestArchitectureListsEveryPackage(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := packageRows(t, string(doc))

	var dirs []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			dirs = append(dirs, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(dirs)
	dirs = compactStrings(dirs)

	have := map[string]bool{}
	for _, d := range dirs {
		have[d] = true
	}
	listed := func(dir string) bool {
		for pkg := range rows {
			if pkg == dir {
				return true
			}
			if prefix, ok := strings.CutSuffix(pkg, "/..."); ok && (dir == prefix || strings.HasPrefix(dir, prefix+"/")) {
				return true
			}
		}
		return false
	}
	for _, d := range dirs {
		if !listed(d) {
			t.Errorf("ARCHITECTURE.md: package %s is not in the package table", d)
		}
	}
	for pkg, job := range rows {
		dir := strings.TrimSuffix(pkg, "/...")
		if !have[dir] && !hasUnder(dirs, dir) {
			t.Errorf("ARCHITECTURE.md: the package table lists %s, which does not exist", pkg)
		}
		if strings.TrimSpace(job) == "" {
			t.Errorf("ARCHITECTURE.md: the row of %s does not say what it does", pkg)
		}
	}
}

// packageRows reads the table under "## Packages": every package path in
// backquotes in a row's first cell, mapped to the row's second cell.
func packageRows(t *testing.T, doc string) map[string]string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "\n## Packages\n")
	if !ok {
		t.Fatal(`ARCHITECTURE.md has no "## Packages" section`)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	quoted := regexp.MustCompile("`([^`]+)`")
	rows := map[string]string{}
	for _, line := range strings.Split(rest, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) < 2 || strings.HasPrefix(strings.TrimSpace(cells[0]), "---") || strings.TrimSpace(cells[0]) == "package" {
			continue
		}
		for _, m := range quoted.FindAllStringSubmatch(cells[0], -1) {
			if _, dup := rows[m[1]]; dup {
				t.Errorf("ARCHITECTURE.md: %s is listed twice", m[1])
			}
			rows[m[1]] = cells[1]
		}
	}
	if len(rows) == 0 {
		t.Fatal("ARCHITECTURE.md: the package table is empty")
	}
	return rows
}

func hasUnder(dirs []string, prefix string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(d, prefix+"/") {
			return true
		}
	}
	return false
}

func compactStrings(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// TestOneUpdateFlag keeps one -update flag across the repository: golden
// files are compared and rewritten by internal/golden only, so that
// go test ./... -update rewrites them all and nothing else defines the
// flag.
func TestOneUpdateFlag(t *testing.T) {
	root := filepath.Join("..", "..")
	own := regexp.MustCompile(`flag\.\w+\(\s*"update"|Getenv\("[A-Z_]*UPDATE[A-Z_]*"\)`)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if filepath.ToSlash(filepath.Dir(rel)) == "internal/golden" {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if loc := own.FindIndex(src); loc != nil {
			line := 1 + strings.Count(string(src[:loc[0]]), "\n")
			t.Errorf("%s:%d: a golden flag of its own; compare and rewrite with internal/golden.Check", filepath.ToSlash(rel), line)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
