package site

import "syscall"

// syscallNoFollow makes open(2) fail instead of following a symlink.
const syscallNoFollow = syscall.O_NOFOLLOW
