package site

import (
	"bytes"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// diffSet compares the files visible in dir (have) with want and returns
// one Change per differing name, with a unified diff.
func (s *Site) diffSet(dir string, have, want map[string][]byte) []Change {
	names := slices.Sorted(maps.Keys(have))
	for n := range want {
		if _, ok := have[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var out []Change
	for _, n := range names {
		old, inHave := have[n]
		cur, inWant := want[n]
		path := s.display(filepath.Join(dir, n))
		switch {
		case !inHave:
			out = append(out, Change{Op: "create", Path: path, Diff: unifiedDiff("/dev/null", path, nil, cur)})
		case !inWant:
			out = append(out, Change{Op: "remove", Path: path, Diff: unifiedDiff(path, "/dev/null", old, nil)})
		case !bytes.Equal(old, cur):
			out = append(out, Change{Op: "update", Path: path, Diff: unifiedDiff(path, path, old, cur)})
		}
	}
	return out
}

// unifiedDiff renders a unified diff with three lines of context.
func unifiedDiff(from, to string, a, b []byte) string {
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(a), B: lines(b), FromFile: from, ToFile: to, Context: 3,
	})
	if err != nil {
		// Only a failing writer makes difflib fail; a strings.Builder
		// never does.
		panic(err)
	}
	return d
}

// lines splits data into newline-terminated lines; a missing final newline
// is added so the diff stays well-formed.
func lines(data []byte) []string {
	if len(data) == 0 {
		return nil
	}
	ls := strings.SplitAfter(string(data), "\n")
	if ls[len(ls)-1] == "" {
		ls = ls[:len(ls)-1]
	} else {
		ls[len(ls)-1] += "\n"
	}
	return ls
}
