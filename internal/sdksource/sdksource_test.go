package sdksource

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/sdk"
)

// TestArchiveIsTheSDK keeps the embedded copy equal to the sdk directory.
func TestArchiveIsTheSDK(t *testing.T) {
	got, err := Archive(filepath.Join("..", "..", "sdk"))
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "sdk.txtar", got)
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
