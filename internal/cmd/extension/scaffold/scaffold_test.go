package scaffold

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/sdksource"
)

// run executes `lychd extension new ARGS` in dir and returns its stdout
// and error text.
func run(t *testing.T, dir string, args ...string) (string, string) {
	t.Helper()
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	cmd := NewCmd(&cmdutil.Factory{IO: cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}}, nil)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	msg := ""
	if err := cmd.Execute(); err != nil {
		msg = err.Error()
	}
	return out.String(), msg
}

// TestTheGeneratedModule pins every file of a new module but the SDK copy
// (testdata/whisper-organ.txtar; go test -update rewrites it). That the
// module builds, passes its tests, is tidy and installs is the tutorial
// test's job (cmd/lychd).
func TestTheGeneratedModule(t *testing.T) {
	files, err := Files("whisper-organ", "whisper-organ")
	if err != nil {
		t.Fatal(err)
	}
	a := &txtar.Archive{Comment: []byte("The files lychd extension new whisper-organ writes, but its SDK copy.\n")}
	sdkFiles := 0
	for _, f := range files {
		if strings.HasPrefix(f.Name, SDKDir+"/") {
			sdkFiles++
			continue
		}
		a.Files = append(a.Files, txtar.File{Name: f.Name, Data: f.Data})
	}
	golden.Check(t, "testdata/whisper-organ.txtar", txtar.Format(a))
	if want := len(sdksource.Files()); sdkFiles != want {
		t.Errorf("the module holds %d files of the SDK, want all %d", sdkFiles, want)
	}
}

func TestNewWritesTheModule(t *testing.T) {
	dir := t.TempDir()
	out, msg := run(t, dir, "whisper-organ")
	want := "Created extension whisper-organ in whisper-organ: module whisper-organ, with the lychd SDK v0.3.0 in whisper-organ/lychd-sdk\n" +
		"Next:\n  cd whisper-organ\n  go test ./...\n  go build\n  lychd extension install ./whisper-organ\n"
	if out != want || msg != "" {
		t.Errorf("output:\n%s%s\nwant:\n%s", out, msg, want)
	}
	files, err := Files("whisper-organ", "whisper-organ")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		got, err := os.ReadFile(filepath.Join(dir, "whisper-organ", filepath.FromSlash(f.Name)))
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Errorf("%s was not written as generated: %v", f.Name, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the parent directory holds %d entries, want only the module", len(entries))
	}

	// Into a given directory, with a module path of its own.
	out, msg = run(t, dir, "whisper-organ", "src/stt", "--module", "example.com/org/stt/v2")
	want = "Created extension whisper-organ in src/stt: module example.com/org/stt/v2, with the lychd SDK v0.3.0 in src/stt/lychd-sdk\n" +
		"Next:\n  cd src/stt\n  go test ./...\n  go build\n  lychd extension install ./stt\n"
	if out != want || msg != "" {
		t.Errorf("output:\n%s%s\nwant:\n%s", out, msg, want)
	}
	gomod, _ := os.ReadFile(filepath.Join(dir, "src/stt/go.mod"))
	if !strings.HasPrefix(string(gomod), "module example.com/org/stt/v2\n") {
		t.Errorf("go.mod:\n%s", gomod)
	}
}

func TestNewRefuses(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "taken", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "new takes the extension's name and, optionally, the directory to write it into"},
		{[]string{"Whisper"}, `the extension's name is invalid: name "Whisper" does not start with a lower-case letter; use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`},
		{[]string{"core"}, `the name "core" is reserved for lychd's built-in extension; pick another`},
		{[]string{"stt", "taken"}, "taken already exists and is not empty; give a new directory: lychd extension new NAME DIR"},
		{[]string{"stt", "--module", "a b"}, `--module "a b" is not a valid module path: malformed import path "a b": invalid char ' '`},
	} {
		if _, msg := run(t, dir, tc.args...); msg != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.args, msg, tc.want)
		}
	}
	if _, msg := run(t, dir, "stt", "empty"); msg != "" {
		t.Errorf("an empty directory was refused: %s", msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "empty", "main.go")); err != nil {
		t.Error(err)
	}
}
