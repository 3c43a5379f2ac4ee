package host

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lychd/lychd/host/assimilation"
	"github.com/lychd/lychd/host/cache"
)

// TestWarmPathIsAssimilateFromCache checks that assimilation.FromCache, the
// lychd command's path without lychd-host, returns exactly what Assimilate
// returns when every registration is cached, and misses on anything
// Assimilate would not take from the cache.
func TestWarmPathIsAssimilateFromCache(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir, cacheDir := filepath.Join(tmp, "ext"), filepath.Join(tmp, "cache")
	plant(t, dir, "actor", "actor")
	plant(t, dir, "twin", "twin")
	cfg := map[string]json.RawMessage{"actor": json.RawMessage(sharedRune), "twin": json.RawMessage(sharedRune), "core": json.RawMessage(`{}`)}
	opts := Options{ExtensionsDir: dir, CacheDir: cacheDir, Core: testCore{}, Config: cfg, HostID: "pair-1"}
	warm := func(w assimilation.Warm) (*assimilation.Result, bool) {
		if w.Config == nil {
			w.Config = cfg
		}
		w.ExtensionsDir, w.CacheDir, w.Core = dir, cacheDir, true
		if w.Host == "" {
			w.Host = "pair-1"
		}
		return assimilation.FromCache(w)
	}
	if _, ok := warm(assimilation.Warm{}); ok {
		t.Fatal("FromCache hit an empty cache")
	}
	first, err := Assimilate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if first.Extensions[0].Cached || first.Extensions[1].Cached {
		t.Fatalf("first assimilation came from the cache: %+v", first.Extensions)
	}
	second, err := Assimilate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range second.Extensions {
		if !s.Cached {
			t.Errorf("second assimilation launched or ran %s", s.Name)
		}
	}
	if !reflect.DeepEqual(second.Runes, first.Runes) || !reflect.DeepEqual(second.Animators, first.Animators) {
		t.Errorf("cached registrations differ from the first ones:\n%+v\n%+v", second.Runes, first.Runes)
	}
	got, ok := warm(assimilation.Warm{})
	if !ok {
		t.Fatal("FromCache missed a complete cache")
	}
	if !reflect.DeepEqual(got, second) {
		t.Errorf("FromCache:\n%+v\nAssimilate from the cache:\n%+v", got, second)
	}

	misses := map[string]assimilation.Warm{
		"another host":        {Host: "pair-2"},
		"another core config": {Config: map[string]json.RawMessage{"actor": cfg["actor"], "twin": cfg["twin"], "core": json.RawMessage(`{"x": 1}`)}},
		"another ext config":  {Config: map[string]json.RawMessage{"actor": cfg["actor"], "twin": json.RawMessage(`{}`), "core": cfg["core"]}},
	}
	for name, w := range misses {
		if _, ok := warm(w); ok {
			t.Errorf("%s: FromCache hit", name)
		}
	}
	if err := cache.New(cacheDir).Forget("twin"); err != nil {
		t.Fatal(err)
	}
	if _, ok := warm(assimilation.Warm{}); ok {
		t.Error("FromCache hit with an extension's entry missing")
	}
	if _, err := Assimilate(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	bin, _ := BinaryPath(dir, "actor")
	if err := os.Chmod(bin, 0o775); err != nil {
		t.Fatal(err)
	}
	if _, ok := warm(assimilation.Warm{}); ok {
		t.Error("FromCache hit with a group-writable binary, which Assimilate refuses")
	}
}
