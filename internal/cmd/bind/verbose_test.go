package bind

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/host/hosttest"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/paths"
)

// TestVerboseShowsWhatExtensionsWrote: lychd bind -v prints each
// extension's log lines and its plain stderr and stdout, from this bind's
// launch, from the launch that filled the cache, and from a launch whose
// assimilation failed. Before, a plain stderr line of a successful
// extension showed up nowhere.
func TestVerboseShowsWhatExtensionsWrote(t *testing.T) {
	dir, err := hosttest.Dir()
	if err != nil {
		t.Fatalf("building the test extensions: %v", err)
	}
	e := newEnv(t, map[string]string{"lychd.toml": "[extensions.actor]\nLog = \"registering\"\nPrint = \"hello on stderr\"\nStdout = \"hello on stdout\"\n"})
	p, err := e.opts.Paths()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := host.Install(context.Background(), host.InstallOptions{Dir: p.ExtensionsDir(), Source: filepath.Join(dir, "actor")}); err != nil {
		t.Fatal(err)
	}
	e.opts.Assimilate = realAssimilation(p)
	e.opts.Verbose = true

	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	want := "lychd: extension actor 1.0.0 (launched by this bind) wrote:\n" +
		"  [INFO] registering: from=actor\n" +
		"  stderr: hello on stderr\n" +
		"  stderr: hello on stdout\n"
	if got := e.err.String(); got != want {
		t.Errorf("bind -v:\n%s\nwant:\n%s", got, want)
	}

	if err := e.run(t); err != nil {
		t.Fatal(err)
	}
	l, err := host.ReadLog(p.ExtensionLogDir(), "actor")
	if err != nil {
		t.Fatal(err)
	}
	want = "lychd: extension actor 1.0.0 (registered from the cache; launched last at " + l.Launched.Format("2006-01-02T15:04:05Z") + ") wrote:\n" +
		"  [INFO] registering: from=actor\n" +
		"  stderr: hello on stderr\n" +
		"  stderr: hello on stdout\n"
	if got := e.err.String(); got != want {
		t.Errorf("bind -v from the cache:\n%s\nwant:\n%s", got, want)
	}

	e.writeCodex(t, map[string]string{"lychd.toml": "[extensions.actor]\nPrint = \"about to fail\"\nFail = \"no model\"\n"})
	err = e.run(t)
	if err == nil || !strings.HasSuffix(err.Error(), `extension "actor": failed while assimilating: no model`+"\n  last lines of its stderr:\n  | about to fail") {
		t.Fatalf("bind of a failing extension: %v", err)
	}
	want = "lychd: extension actor 1.0.0 (launched by this bind) wrote:\n" +
		"  stderr: about to fail\n"
	if got := e.err.String(); got != want {
		t.Errorf("bind -v of a failing extension:\n%s\nwant:\n%s", got, want)
	}
}

// realAssimilation assimilates the extensions installed under p, with
// the registration cache and the logs kept, as lychd bind does.
func realAssimilation(p paths.Paths) func(context.Context, *codex.Codex) (*host.Result, error) {
	return func(ctx context.Context, cx *codex.Codex) (*host.Result, error) {
		return host.Assimilate(ctx, host.Options{
			ExtensionsDir: p.ExtensionsDir(),
			CacheDir:      p.CacheDir(),
			LogDir:        p.ExtensionLogDir(),
			Config:        cx.Extensions,
			HostID:        "test",
		})
	}
}
