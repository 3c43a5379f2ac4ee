package sdksource

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/sdk"
)

// TestArchiveIsTheSDK keeps the embedded copy equal to the sdk directory.
func TestArchiveIsTheSDK(t *testing.T) {
	got, err := Archive(filepath.Join("..", "..", "sdk"))
	if err != nil {
		t.Fatal(err)
	}
	if golden.Updating() {
		golden.Check(t, "sdk.txtar", got)
		return
	}
	// Name the files that differ: the archive is too long to print.
	want := map[string]string{}
	for _, f := range Files() {
		want[f.Name] = string(f.Data)
	}
	have := map[string]bool{}
	for _, f := range txtar.Parse(got).Files {
		have[f.Name] = true
		switch w, ok := want[f.Name]; {
		case !ok:
			t.Errorf("sdk/%s is not in sdk.txtar (run go test ./internal/sdksource -update)", f.Name)
		case w != string(f.Data):
			t.Errorf("sdk/%s differs from its copy in sdk.txtar (run go test ./internal/sdksource -update)", f.Name)
		}
	}
	for name := range want {
		if !have[name] {
			t.Errorf("sdk.txtar holds %s, which sdk/ no longer has (run go test ./internal/sdksource -update)", name)
		}
	}
}

// TestFiles checks what the embedded copy holds.
func TestFiles(t *testing.T) {
	if golden.Updating() {
		t.Skip("this run rewrites the embedded archive; run the tests again to check the new one")
	}
	have := map[string]bool{}
	for _, f := range Files() {
		have[f.Name] = true
	}
	for _, name := range []string{"go.mod", "go.sum", "serve.go", "version.go", "plugintest/plugintest.go", "internal/pb/extension.pb.go"} {
		if !have[name] {
			t.Errorf("the SDK copy lacks %s", name)
		}
	}
	for name := range have {
		if strings.HasSuffix(name, "_test.go") || strings.Contains(name, "testdata/") {
			t.Errorf("the SDK copy holds %s; tests are not copied", name)
		}
	}
	version, _ := File("version.go")
	if !strings.Contains(string(version), `const Version = "`+sdk.Version+`"`) {
		t.Errorf("the copy's version.go does not say Version %s:\n%s", sdk.Version, version)
	}
	mod, err := GoMod()
	if err != nil {
		t.Fatal(err)
	}
	if mod.Module.Mod.Path != ModulePath {
		t.Errorf("the copy's module is %s, want %s", mod.Module.Mod.Path, ModulePath)
	}
}
