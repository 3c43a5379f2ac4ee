package host

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lychd/lychd/host/cache"
)

func TestRegistrationCache(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir, cacheDir := filepath.Join(tmp, "ext"), filepath.Join(tmp, "cache")
	src := extBin(t, "actor")
	if _, err := Install(context.Background(), InstallOptions{Dir: dir, CacheDir: cacheDir, Source: src}); err != nil {
		t.Fatal(err)
	}
	cfg := map[string]json.RawMessage{"actor": json.RawMessage(`{"Runes": [{"Name": "a", "Image": "docker.io/library/alpine:3.20"}]}`)}
	run := func(opts Options) (*Result, error) {
		opts.ExtensionsDir, opts.CacheDir = dir, cacheDir
		if opts.Config == nil {
			opts.Config = cfg
		}
		return Assimilate(context.Background(), opts)
	}
	cached := func(step string, opts Options, want bool) {
		t.Helper()
		res, err := run(opts)
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		st := res.Extensions[0]
		if st.Cached != want {
			t.Errorf("%s: cached = %v, want %v", step, st.Cached, want)
		}
		if want && st.Launch != 0 {
			t.Errorf("%s: a cache hit launched the extension (%v)", step, st.Launch)
		}
		if len(res.Runes) != 1 || res.Runes[0].Source.String() != "extension actor" {
			t.Errorf("%s: runes %+v", step, res.Runes)
		}
	}
	cached("first run", Options{}, false)
	cached("second run", Options{}, true)
	cached("NoCache", Options{NoCache: true}, false)
	cached("after NoCache", Options{}, true)
	cached("changed config", Options{Config: map[string]json.RawMessage{"actor": json.RawMessage(`{"Runes": [{"Name": "b", "Image": "docker.io/library/alpine:3.20"}]}`)}}, false)
	cached("config back", Options{}, false)

	// Touching the binary changes its ctime: the cache misses and the binary
	// is hashed again (and still matches).
	bin, _ := BinaryPath(dir, "actor")
	now := time.Now()
	if err := os.Chtimes(bin, now, now); err != nil {
		t.Fatal(err)
	}
	cached("touched binary", Options{}, false)
	cached("after touch", Options{}, true)

	// Reinstalling forgets the entry.
	if _, err := Install(context.Background(), InstallOptions{Dir: dir, CacheDir: cacheDir, Source: src}); err != nil {
		t.Fatal(err)
	}
	if cache.New(cacheDir).Has("actor") {
		t.Error("cache entry after reinstall, want it gone")
	}
	cached("after reinstall", Options{}, false)

	// A tampered binary is never served from the cache.
	f, err := os.OpenFile(bin, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0})
	f.Close()
	if _, err := run(Options{}); err == nil {
		t.Error("a tampered binary was assimilated (from the cache?)")
	}

	if _, err := Remove(RemoveOptions{Dir: dir, CacheDir: cacheDir, Name: "actor"}); err != nil {
		t.Fatal(err)
	}
	if cache.New(cacheDir).Has("actor") {
		t.Error("cache entry after remove, want it gone")
	}
	noLeftovers(t, "", tmp)
}
