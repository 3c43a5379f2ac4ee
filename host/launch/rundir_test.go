package launch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// A RunDir is private, and making one removes those of processes that are
// gone, never those of running ones.
func TestRunDir(t *testing.T) {
	base := filepath.Join(t.TempDir(), "lychd")
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	live := exec.Command("sleep", "60")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer live.Process.Kill()
	if err := os.MkdirAll(base, 0o700); err != nil {
		t.Fatal(err)
	}
	deadDir := filepath.Join(base, strconv.Itoa(dead.Process.Pid)+"-1")
	liveDir := filepath.Join(base, strconv.Itoa(live.Process.Pid)+"-1")
	other := filepath.Join(base, "notes")
	for _, d := range []string{deadDir, liveDir, other} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	rd, err := NewRunDir(base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(deadDir); !os.IsNotExist(err) {
		t.Errorf("the directory of a dead process is still there: %v", err)
	}
	for _, d := range []string{liveDir, other, rd.Path} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	if fi, _ := os.Stat(rd.Path); fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %v", fi.Mode())
	}
	rd.Remove()
	if _, err := os.Stat(rd.Path); !os.IsNotExist(err) {
		t.Errorf("Remove left %s", rd.Path)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := NewRunDir(base); err == nil {
		t.Error("a process directory others can read was accepted")
	}
}
