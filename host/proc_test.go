package host

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"regexp"
	"syscall"
	"testing"
)

func killPid(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var fdPattern = regexp.MustCompile(`/proc/self/fd/[0-9]+`)

func copyFile(t *testing.T, src, dst string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, mode); err != nil {
		t.Fatal(err)
	}
}
