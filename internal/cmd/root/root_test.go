package root

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/lychd/lychd/sdk"
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
	code := Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	code, _, errOut := run(t, "frobnicate")
	if code != cmdutil.ExitUsage || errOut != "lychd: unknown command \"frobnicate\" for \"lychd\"\nRun 'lychd --help' for usage.\n" {
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

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "--version")
	if code != cmdutil.ExitOK || !strings.HasPrefix(out, "lychd ") || !strings.Contains(out, "extension protocol 2)") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	code, out2, _ := run(t, "version")
	if code != cmdutil.ExitOK || out2 != out {
		t.Errorf("version: exit %d, %q, want %q", code, out2, out)
	}
	code, js, _ := run(t, "version", "--json")
	var v struct {
		Version  string `json:"version"`
		Go       string `json:"go"`
		Protocol int    `json:"protocol"`
	}
	if err := json.Unmarshal([]byte(js), &v); code != cmdutil.ExitOK || err != nil || v.Protocol != sdk.ProtocolVersion || !strings.HasPrefix(v.Go, "go1.") || v.Version == "" {
		t.Errorf("version --json: exit %d, %q (%v)", code, js, err)
	}
}
