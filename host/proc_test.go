package host

import (
	"crypto/sha256"
	"encoding/hex"
	"syscall"
)

func killPid(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
