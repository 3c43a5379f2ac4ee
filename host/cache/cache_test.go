package cache

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/model"
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
	e := &Entry{Key: key, Version: "1.0.0", Runes: []model.Rune{{Name: "r", Kind: model.KindSoulstone, Image: "i"}}}
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
			time.Sleep(10 * time.Millisecond)
			os.Chtimes(bin, time.Now(), time.Now())
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
