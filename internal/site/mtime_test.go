package site

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestUnchangedFilesKeepTheirTime: a new generation's files whose content
// did not change keep the time of the current generation's, so that a file's
// time says when its unit last changed; changed and new files get a new one.
func TestUnchangedFilesKeepTheirTime(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	if _, err := s.Apply(ctx, genOf("lychd.pod=[Pod]\n", "lychd-a.container=a1", "lychd-coven-c.target=c1")); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, f := range []string{"quadlet/lychd.pod", "quadlet/lychd-a.container", "systemd/lychd-coven-c.target"} {
		if err := os.Chtimes(filepath.Join(s.BindingsDir, currentName, f), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Apply(ctx, genOf("lychd.pod=[Pod]\n", "lychd-a.container=a2", "lychd-b.container=b1", "lychd-coven-c.target=c1")); err != nil {
		t.Fatal(err)
	}
	for f, keep := range map[string]bool{
		"quadlet/lychd.pod": true, "systemd/lychd-coven-c.target": true,
		"quadlet/lychd-a.container": false, "quadlet/lychd-b.container": false,
	} {
		fi, err := os.Stat(filepath.Join(s.BindingsDir, currentName, f))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.ModTime().Equal(old); got != keep {
			t.Errorf("%s: time %v, kept the old one = %v, want %v", f, fi.ModTime(), got, keep)
		}
	}
}
