package host

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lychd/lychd/host/registry"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/preset"
)

// TestWarmAssimilationLaunchesNothing: once every registration is cached,
// Assimilate launches nothing and returns exactly what the launches
// returned; anything that changes what an extension would register (the
// host, a configuration, the binary's mode) misses.
func TestWarmAssimilationLaunchesNothing(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir, cacheDir := filepath.Join(tmp, "ext"), filepath.Join(tmp, "cache")
	plant(t, dir, "actor", "actor")
	plant(t, dir, "twin", "twin")
	cfg := map[string]json.RawMessage{"actor": json.RawMessage(sharedRune), "twin": json.RawMessage(sharedRune), "core": json.RawMessage(`{}`)}
	opts := Options{ExtensionsDir: dir, CacheDir: cacheDir, Core: testCore{}, Config: cfg, HostID: "host-1"}
	first, err := Assimilate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if first.Extensions[1].Cached || first.Extensions[2].Cached || !first.Launched {
		t.Fatalf("first assimilation came from the cache: %+v", first.Extensions)
	}
	second, err := Assimilate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range second.Extensions {
		if s.Cached == (s.Name == CoreName) {
			t.Errorf("second assimilation: %s cached %v (the core runs in process, every extension from the cache)", s.Name, s.Cached)
		}
	}
	if second.Launched {
		t.Error("second assimilation says it launched an extension")
	}
	if !reflect.DeepEqual(second.Runes, first.Runes) || !reflect.DeepEqual(second.Animators, first.Animators) {
		t.Errorf("cached registrations differ from the first ones:\n%+v\n%+v", second.Runes, first.Runes)
	}
	cached := func(o Options) map[string]bool {
		t.Helper()
		res, err := Assimilate(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, s := range res.Extensions {
			out[s.Name] = s.Cached
		}
		return out
	}
	other := opts
	other.Config = map[string]json.RawMessage{"actor": cfg["actor"], "twin": json.RawMessage(`{}`), "core": cfg["core"]}
	if got := cached(other); got["twin"] || !got["actor"] {
		t.Errorf("another configuration of twin: cached %v", got)
	}
	other.HostID = "host-2"
	if got := cached(other); got["actor"] || got["twin"] {
		t.Errorf("another host: cached %v", got)
	}
	bin, _ := BinaryPath(dir, "actor")
	if err := os.Chmod(bin, 0o775); err != nil {
		t.Fatal(err)
	}
	if _, err := Assimilate(context.Background(), opts); err == nil {
		t.Error("a group-writable binary was taken from the cache")
	}
}

// TestTamperedCacheEntryIsNotTrusted: a cache entry is replayed through
// the checks of a live registration, so an entry edited to carry what the
// extension could never register (a %h volume, the core's privilege) is a
// miss, and the extension is launched instead; the core is never cached.
func TestTamperedCacheEntryIsNotTrusted(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir, cacheDir := filepath.Join(tmp, "ext"), filepath.Join(tmp, "cache")
	plant(t, dir, "actor", "actor")
	cfg := map[string]json.RawMessage{"actor": json.RawMessage(sharedRune)}
	opts := Options{ExtensionsDir: dir, CacheDir: cacheDir, Core: testCore{}, Config: cfg, HostID: "host-1"}
	if _, err := Assimilate(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cacheDir, "registrations.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Format  int                        `json:"format"`
		Entries map[string]json.RawMessage `json:"entries"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(f.Entries["actor"], &e); err != nil {
		t.Fatal(err)
	}
	runes := e["runes"].([]any)
	runes[0].(map[string]any)["Volumes"] = []string{"%h/.ssh:/stolen:ro"}
	if f.Entries["actor"], err = json.Marshal(e); err != nil {
		t.Fatal(err)
	}
	if data, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := Assimilate(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Extensions {
		if s.Cached {
			t.Errorf("%s came from the cache", s.Name)
		}
	}
	if !res.Launched {
		t.Error("the extension was not launched")
	}
	for _, r := range res.Runes {
		for _, v := range r.Volumes {
			if strings.Contains(v, ".ssh") {
				t.Errorf("rune %s mounts %s", r.Name, v)
			}
		}
	}
}

// TestPresetsThroughBinaryAndCache: an engine preset an extension binary
// registers reaches the Result over the real protocol, with its source,
// and the cached registration yields the same preset without a launch.
func TestPresetsThroughBinaryAndCache(t *testing.T) {
	t.Parallel()
	tmp := tempDir(t)
	dir, cacheDir := filepath.Join(tmp, "ext"), filepath.Join(tmp, "cache")
	plant(t, dir, "actor", "actor")
	p := sdk.NamedPreset{Name: "vllm-rocm", Preset: preset.Preset{
		Image:  "docker.io/rocm/vllm:latest",
		Exec:   []string{"{model_args}", "--port", "{port}"},
		Model:  &preset.ModelArgs{HuggingFace: []string{"{model}"}},
		Health: &preset.HealthCheck{Cmd: []string{"curl", "-fsS", "http://127.0.0.1:{port}/health"}},
	}}
	raw, err := json.Marshal(map[string]any{"Presets": []sdk.NamedPreset{p}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]json.RawMessage{"actor": raw, "core": json.RawMessage(`{}`)}
	opts := Options{ExtensionsDir: dir, CacheDir: cacheDir, Core: testCore{}, Config: cfg, HostID: "host-1"}
	want := []registry.Preset{{Name: p.Name, Preset: p.Preset, Source: model.Source{Kind: model.SourceExtension, Name: "actor"}}}
	for i, wantCached := range []bool{false, true} {
		res, err := Assimilate(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.Extensions[1].Cached != wantCached {
			t.Errorf("run %d: cached %v, want %v", i, res.Extensions[1].Cached, wantCached)
		}
		if !reflect.DeepEqual(res.Presets, want) {
			t.Errorf("run %d: presets\n got %+v\nwant %+v", i, res.Presets, want)
		}
	}
}
