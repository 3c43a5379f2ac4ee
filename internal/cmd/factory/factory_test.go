package factory

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/host/assimilation"
	"github.com/lychd/lychd/host/cache"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/hostproc"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/sepulcher"
)

// fakeHost is a lychd-host that logs its request and answers with one
// cached-looking core rune.
const fakeHost = `#!/bin/sh
cat > "$(dirname "$0")/request.json"
echo "lychd-host ran" >&2
echo '{"runes":[{"Name":"vessel","Kind":"core","Image":"ghcr.io/lychd/vessel:2","Source":{"Kind":"core","Name":"core"}}],"animators":null,"extensions":[{"Name":"core","Version":"1.0.0","Source":{"Kind":"core","Name":"core"},"Runes":1}]}'
`

func setup(t *testing.T) (*cmdutil.Factory, hostproc.Binaries, paths.Paths, *bytes.Buffer) {
	t.Helper()
	bins := hostproc.Binaries{Dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(bins.Dir, hostproc.CLIName), []byte("lychd"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bins.Dir, hostproc.HostName), []byte(fakeHost), 0o755); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	var errOut bytes.Buffer
	f := &cmdutil.Factory{
		IO:     cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &errOut},
		Getenv: func(k string) string { return map[string]string{"HOME": home}[k] },
	}
	f.Paths = func() (paths.Paths, error) { return paths.FromEnv(f.Getenv) }
	p, err := f.Paths()
	if err != nil {
		t.Fatal(err)
	}
	return f, bins, p, &errOut
}

func TestAssimilatorTakesTheCacheThenLychdHost(t *testing.T) {
	f, bins, p, errOut := setup(t)
	if p.ExtensionsDir() == "" || p.CacheDir() == "" {
		t.Fatal("no paths")
	}
	assimilate := Assimilator(f, func() (hostproc.Binaries, error) { return bins, nil }, RunLychdHost(f))
	cx := &codex.Codex{Core: json.RawMessage(`{"port":8000}`), Assimilation: codex.Assimilation{Deadline: 30 * time.Second, Parallel: 4}}

	// A valid core entry and no extensions: no lychd-host.
	vessel := model.Rune{Name: "vessel", Kind: model.KindCore, Image: "ghcr.io/lychd/vessel:1"}
	entry := &cache.Entry{Key: assimilation.CoreKey(cx.Core, bins.Fingerprint()), Version: "1.0.0", Protocol: 1, Runes: []model.Rune{vessel}}
	if err := cache.New(p.CacheDir()).Store(assimilation.CoreName, entry); err != nil {
		t.Fatal(err)
	}
	launches := 0
	ctx := sepulcher.WithBeforeLaunch(context.Background(), func() error { launches++; return nil })
	got, err := assimilate(ctx, cx)
	if err != nil {
		t.Fatal(err)
	}
	if launches != 0 {
		t.Errorf("the cache path called BeforeLaunch %d times", launches)
	}
	vessel.Source = assimilation.CoreSource
	if !reflect.DeepEqual(got.Runes, []model.Rune{vessel}) || !reflect.DeepEqual(got.Extensions, []string{"core 1.0.0 (1 runes, 0 animators)"}) {
		t.Errorf("from the cache: %+v", got)
	}
	if errOut.Len() != 0 {
		t.Errorf("lychd-host ran on a warm cache: %s", errOut)
	}

	// Another core configuration misses: lychd-host answers.
	cx.Core = json.RawMessage(`{"port":9000}`)
	got, err = assimilate(ctx, cx)
	if err != nil {
		t.Fatal(err)
	}
	if launches != 1 {
		t.Errorf("running lychd-host called BeforeLaunch %d times, want 1", launches)
	}
	if len(got.Runes) != 1 || got.Runes[0].Image != "ghcr.io/lychd/vessel:2" || errOut.String() != "lychd-host ran\n" {
		t.Errorf("after a miss: %+v, stderr %q", got, errOut)
	}
	req, err := os.ReadFile(filepath.Join(bins.Dir, "request.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"extensions_dir":"` + p.ExtensionsDir() + `","cache_dir":"` + p.CacheDir() + `","config":{"core":{"port":9000}},"start_timeout_ns":0,"deadline_ns":30000000000,"parallel":4,"no_cache":false,"host_id":"` + bins.Fingerprint() + `"}`
	if string(req) != want {
		t.Errorf("request:\n%s\nwant:\n%s", req, want)
	}
}

func TestAssimilatorStopsWhenBeforeLaunchFails(t *testing.T) {
	f, bins, _, errOut := setup(t)
	assimilate := Assimilator(f, func() (hostproc.Binaries, error) { return bins, nil }, RunLychdHost(f))
	ctx := sepulcher.WithBeforeLaunch(context.Background(), func() error { return errors.New("snapshot failed") })
	if _, err := assimilate(ctx, &codex.Codex{}); err == nil || err.Error() != "snapshot failed" {
		t.Errorf("error %v, want the hook's", err)
	}
	if errOut.Len() != 0 {
		t.Errorf("lychd-host ran after the hook failed: %s", errOut)
	}
}

func TestAssimilatorWithoutLychdHost(t *testing.T) {
	f, bins, _, _ := setup(t)
	if err := os.Remove(filepath.Join(bins.Dir, hostproc.HostName)); err != nil {
		t.Fatal(err)
	}
	assimilate := Assimilator(f, func() (hostproc.Binaries, error) { return bins, nil }, RunLychdHost(f))
	_, err := assimilate(context.Background(), &codex.Codex{})
	want := "lychd-host is missing: lychd runs it to launch extensions and looks for it next to itself, at " + filepath.Join(bins.Dir, "lychd-host") + "; install both binaries together (make install, or go install github.com/lychd/lychd/cmd/...)"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

func TestAssimilatedLines(t *testing.T) {
	got := Assimilated(&assimilation.Result{Extensions: []assimilation.Stats{
		{Name: "core", Version: "1.0.0", Cached: true, Runes: 3},
		{Name: "tts-organ", Version: "0.1.0", Cached: true, Runes: 1, Animators: 1},
		{Name: "vision-organ", Version: "1.2.0", Launch: 7_345_678, Assimilation: 2_012_345, Runes: 2, Animators: 1},
	}}).Extensions
	want := []string{
		"core 1.0.0 (3 runes, 0 animators)",
		"tts-organ 0.1.0 (cached; 1 runes, 1 animators)",
		"vision-organ 1.2.0 (launch 7.3ms, assimilation 2ms; 2 runes, 1 animators)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("lines %q\nwant %q", got, want)
	}
}
