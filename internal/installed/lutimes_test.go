package installed

import (
	"time"

	"golang.org/x/sys/unix"
)

// lutimes sets a symbolic link's own times.
func lutimes(path string, at time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(at.UnixNano()), unix.NsecToTimespec(at.UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW)
}
