package cache

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/lychd/lychd/sdk"
)

func TestStoreLoadAndInvalidation(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.WriteFile(bin, []byte("binary"), 0o755)
	key, err := KeyFor(bin, "abc", 1, []byte(`{"a":1}`), "lychd-1")
	if err != nil {
		t.Fatal(err)
	}
	c := New(filepath.Join(dir, "cache"))
	e := &Entry{Key: key, Version: "1.0.0", Runes: []sdk.Rune{{Name: "r", Image: "i"}}}
	if err := c.Store("ext", e); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Load("ext", key)
	if !ok || !reflect.DeepEqual(got, e) {
		t.Fatalf("Load = %+v, %v", got, ok)
	}
	changed := map[string]func() Key{
		"config":   func() Key { k, _ := KeyFor(bin, "abc", 1, []byte(`{"a":2}`), "lychd-1"); return k },
		"sha":      func() Key { k, _ := KeyFor(bin, "abd", 1, []byte(`{"a":1}`), "lychd-1"); return k },
		"lychd":    func() Key { k, _ := KeyFor(bin, "abc", 1, []byte(`{"a":1}`), "lychd-2"); return k },
		"protocol": func() Key { k, _ := KeyFor(bin, "abc", 2, []byte(`{"a":1}`), "lychd-1"); return k },
		"touched": func() Key {
			later := time.Now().Add(time.Hour)
			os.Chtimes(bin, later, later)
			k, _ := KeyFor(bin, "abc", 1, []byte(`{"a":1}`), "lychd-1")
			return k
		},
	}
	for what, k := range changed {
		if _, ok := c.Load("ext", k()); ok {
			t.Errorf("cache hit after a change of %s", what)
		}
	}
	if err := c.Forget("ext"); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Load("ext", key); ok {
		t.Error("cache hit after Forget")
	}
	if err := c.Forget("ext"); err != nil {
		t.Errorf("Forget of a missing entry: %v", err)
	}
}

// Every entry lives in one file, written once per StoreAll; a writer keeps
// the entries another Cache (another lychd process) wrote since it read
// the file; a file of another format holds no entry.
func TestOneFile(t *testing.T) {
	dir := t.TempDir()
	key := keyForConfig([]byte("{}"), "host")
	entry := func(v string) *Entry { return &Entry{Key: key, Version: v} }

	a, b := New(dir), New(dir)
	if a.Has("x") || b.Has("y") {
		t.Fatal("entries in an empty cache")
	}
	if err := a.StoreAll(map[string]*Entry{"x": entry("1"), "z": entry("1")}); err != nil {
		t.Fatal(err)
	}
	// b read the file before a wrote it; its write keeps a's entries.
	if err := b.Store("y", entry("2")); err != nil {
		t.Fatal(err)
	}
	fresh := New(dir)
	for name, v := range map[string]string{"x": "1", "y": "2", "z": "1"} {
		if e, ok := fresh.Load(name, key); !ok || e.Version != v {
			t.Errorf("entry %s = %+v, %v; want version %s", name, e, ok, v)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "registrations.json" {
		t.Errorf("cache directory holds %v, want registrations.json alone", ents)
	}

	if err := os.WriteFile(filepath.Join(dir, "registrations.json"), []byte(`{"format":2,"entries":{"x":{}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if New(dir).Has("x") {
		t.Error("an entry from a file of another format")
	}
}
