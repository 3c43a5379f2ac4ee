// Package userns is what lychd needs of Linux user namespaces to isolate
// extensions without privilege: putting a child in a new user namespace
// that maps only the caller's own uid and gid, recognising the kernel's
// refusal to create one, telling whether this process holds CAP_SYS_ADMIN
// in a user namespace of its own (and so may create PID namespaces), and
// dropping the capabilities a program started from a thread would inherit.
//
// Why extensions are isolated at all, and how, is in package launch
// (host/launch) and in SECURITY.md.
package userns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// capSysAdmin is CAP_SYS_ADMIN, which creating a PID namespace needs.
const capSysAdmin = 21

// Isolate sets a so that the child starts in a new user namespace mapping
// only this process's uid and gid (setgroups denied), in which it holds no
// capability once it executes its program. With keepSysAdmin the child
// keeps CAP_SYS_ADMIN there across the exec, as an ambient capability, so
// that it can create PID namespaces for its own children.
func Isolate(a *syscall.SysProcAttr, keepSysAdmin bool) {
	uid, gid := os.Getuid(), os.Getgid()
	a.Cloneflags |= syscall.CLONE_NEWUSER
	a.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
	a.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
	a.GidMappingsEnableSetgroups = false
	if keepSysAdmin {
		a.AmbientCaps = append(a.AmbientCaps, capSysAdmin)
	}
}

// Refused reports whether err is the kernel refusing to start a process in
// new namespaces: user namespaces disabled, restricted by a security module,
// or exhausted.
func Refused(err error) bool {
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "fork/exec" {
		return false
	}
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EUSERS)
}

// HoldsSysAdmin reports whether this process runs in a user namespace
// other than the initial one with CAP_SYS_ADMIN in its effective set: then
// it can give a child a new PID namespace without a user namespace of the
// child's own, which Go starts with vfork.
func HoldsSysAdmin() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil || strings.Join(strings.Fields(string(data)), " ") == "0 0 4294967295" {
		return false
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			var eff uint64
			if _, err := fmt.Sscanf(strings.TrimSpace(hex), "%x", &eff); err != nil {
				return false
			}
			return eff&(1<<capSysAdmin) != 0
		}
	}
	return false
}

const (
	prCapAmbient         = 47
	prCapAmbientClearAll = 4
	linuxCapabilityV3    = 0x20080522
)

// DropInheritable clears the calling thread's ambient and inheritable
// capabilities, so that a program started from this thread gets none; the
// thread keeps its effective ones. Capabilities belong to threads: call it
// on a thread locked with runtime.LockOSThread, and start children only
// from that thread.
func DropInheritable() error {
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prCapAmbient, prCapAmbientClearAll, 0, 0, 0, 0); e != 0 {
		return fmt.Errorf("clearing the ambient capabilities: %w", e)
	}
	hdr := struct {
		version uint32
		pid     int32
	}{version: linuxCapabilityV3}
	var data [2]struct{ effective, permitted, inheritable uint32 }
	if _, _, e := syscall.RawSyscall(syscall.SYS_CAPGET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
		return fmt.Errorf("reading the capabilities: %w", e)
	}
	data[0].inheritable, data[1].inheritable = 0, 0
	if _, _, e := syscall.RawSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
		return fmt.Errorf("clearing the inheritable capabilities: %w", e)
	}
	return nil
}
