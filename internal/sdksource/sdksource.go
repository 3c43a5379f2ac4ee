// Package sdksource holds a copy of the source of the lychd SDK module
// (github.com/lychd/lychd/sdk, the sdk directory of this repository) and
// writes it out, so that `lychd extension new` can give a new extension an
// SDK to build against: the module is not published on a module proxy, and
// an installed lychd binary has no source tree to point a replace directive
// at.
//
// The copy is sdk.txtar, a text archive of every file of the SDK module
// except its tests and test data. TestArchiveIsTheSDK fails when it differs
// from the sdk directory; `go test ./internal/sdksource -update` rewrites
// it.
package sdksource

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/txtar"
	"golang.org/x/mod/modfile"
)

// ModulePath is the SDK's module path.
const ModulePath = "github.com/lychd/lychd/sdk"

//go:embed sdk.txtar
var archive []byte

// Files returns the SDK's files, paths relative to the module root with
// forward slashes, in archive order.
func Files() []txtar.File {
	return txtar.Parse(archive).Files
}

// File returns the content of the SDK file at name (e.g. "go.mod").
func File(name string) ([]byte, bool) {
	for _, f := range Files() {
		if f.Name == name {
			return f.Data, true
		}
	}
	return nil, false
}

// GoMod parses the SDK's go.mod.
func GoMod() (*modfile.File, error) {
	data, ok := File("go.mod")
	if !ok {
		return nil, errors.New("the SDK copy in this lychd has no go.mod")
	}
	f, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing the SDK's go.mod: %w", err)
	}
	return f, nil
}

// Archive builds the archive of the SDK module rooted at root: every
// regular file except tests (*_test.go), test data (testdata directories)
// and hidden files, sorted by path.
func Archive(root string) ([]byte, error) {
	a := &txtar.Archive{Comment: []byte("The source of the lychd SDK module, which lychd extension new writes beside a new\n" +
		"extension. Generated from the sdk directory by: go test ./internal/sdksource -update\n")}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if name == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains("\n"+string(data), "\n-- ") {
			return fmt.Errorf("%s has a line starting with \"-- \", which a text archive cannot hold", p)
		}
		a.Files = append(a.Files, txtar.File{Name: path.Clean(filepath.ToSlash(rel)), Data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return txtar.Format(a), nil
}
