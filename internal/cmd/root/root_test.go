package root

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/paths"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	home := t.TempDir()
	f := &cmdutil.Factory{
		IO:     cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Getenv: func(k string) string { return map[string]string{"HOME": home}[k] },
	}
	f.Paths = func() (paths.Paths, error) { return paths.FromEnv(f.Getenv) }
	code := Run(f, args)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	code, _, errOut := run(t, "bogus")
	if code != cmdutil.ExitUsage || errOut != "lychd: unknown command \"bogus\" for \"lychd\"\nRun 'lychd --help' for usage.\n" {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = run(t, "bind", "--bogus")
	if code != cmdutil.ExitUsage || !strings.HasPrefix(errOut, "lychd: unknown flag: --bogus\n\nUsage:\n  lychd bind [flags]\n") {
		t.Errorf("bad flag: exit %d, stderr %q", code, errOut)
	}
	code, out, _ := run(t, "--help")
	if code != cmdutil.ExitOK {
		t.Errorf("--help: exit %d", code)
	}
	for _, c := range []string{"animators", "bind", "extension", "start", "status", "stop"} {
		if !strings.Contains(out, "\n  "+c+" ") {
			t.Errorf("--help does not list %s:\n%s", c, out)
		}
	}
}

func TestExtensionCommandsRunInLychdHost(t *testing.T) {
	var out, errOut bytes.Buffer
	var got [][]string
	f := &cmdutil.Factory{
		IO:       cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Getenv:   func(string) string { return "" },
		Delegate: func(args []string) error { got = append(got, args); return nil },
	}
	for _, args := range [][]string{{"extension", "install", "--help"}, {"extension", "list", "--json"}, {"extension"}} {
		if code := Run(f, args); code != cmdutil.ExitOK {
			t.Errorf("%q: exit %d, stderr %q", args, code, errOut.String())
		}
	}
	want := [][]string{{"extension", "install", "--help"}, {"extension", "list", "--json"}, {"extension"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("delegated %q, want %q", got, want)
	}
	f.Delegate = func([]string) error { return errors.New("lychd-host is missing: ...") }
	errOut.Reset()
	if code := Run(f, []string{"extension", "list"}); code != cmdutil.ExitError || errOut.String() != "lychd: lychd-host is missing: ...\n" {
		t.Errorf("failed delegation: exit %d, stderr %q", code, errOut.String())
	}
}
