// Package flock serialises processes with an advisory flock(2) lock on a
// file. The kernel releases the lock when the holder exits, however it dies,
// so a killed holder never blocks the next one.
package flock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Lock is a held exclusive lock. Release it with Unlock.
type Lock struct {
	f *os.File
}

// pollMin and pollMax bound the wait between attempts while another holder
// has the lock.
const (
	pollMin = 2 * time.Millisecond
	pollMax = 100 * time.Millisecond
)

// Acquire takes an exclusive lock on path, creating the file (mode 0600) if
// needed. It never follows a symlink at path. It waits while another process
// (or another open file in this process) holds the lock and gives up when ctx
// ends. Locks are tied to the open file, so two goroutines of one process
// calling Acquire on the same path exclude each other too.
func Acquire(ctx context.Context, path string) (*Lock, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("open lock file %s: it is a symlink, which lychd never follows; remove it and retry", path)
		}
		return nil, fmt.Errorf("open lock file %s: %w", path, err)
	}
	f := os.NewFile(uintptr(fd), path)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("stat lock file %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		f.Close()
		return nil, fmt.Errorf("lock file %s is not a regular file; remove it and retry", path)
	}
	wait := pollMin
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return &Lock{f: f}, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("wait for lock %s (another lychd is binding): %w", path, ctx.Err())
		case <-t.C:
		}
		if wait *= 2; wait > pollMax {
			wait = pollMax
		}
	}
}

// Unlock releases the lock and closes the file. The lock file stays in place.
func (l *Lock) Unlock() error {
	if err := unix.Flock(int(l.f.Fd()), unix.LOCK_UN); err != nil {
		l.f.Close()
		return fmt.Errorf("unlock %s: %w", l.f.Name(), err)
	}
	return l.f.Close()
}
