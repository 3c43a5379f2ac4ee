package validate

import (
	"fmt"
	"strings"
)

// sizeHow is how to write a size, for messages.
const sizeHow = `write a size such as "16g" or "512m" (units b, k, m, g)`

// ShmSize checks a /dev/shm size as Podman reads it: a number of bytes
// with an optional unit b, k, m or g, e.g. "16g". A soulstone's shm_size,
// an engine preset's and an extension rune's ShmSize follow this rule.
func ShmSize(s string) error {
	if s == "" {
		return fmt.Errorf("shm size is empty; %s", sizeHow)
	}
	digits := strings.TrimRight(s, "bkmg")
	if len(s)-len(digits) > 1 || digits == "" {
		return fmt.Errorf("shm size %q is not a number with one unit; %s", s, sizeHow)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return fmt.Errorf("shm size %q is not a number with one unit; %s", s, sizeHow)
		}
	}
	if strings.Trim(digits, "0") == "" {
		return fmt.Errorf("shm size %q is zero; %s, or leave it out", s, sizeHow)
	}
	if len(digits) > 15 {
		return fmt.Errorf("shm size %q is too large; %s", s, sizeHow)
	}
	return nil
}

// SizeBytes converts a size accepted by ShmSize to bytes.
func SizeBytes(s string) (int64, error) {
	if err := ShmSize(s); err != nil {
		return 0, err
	}
	mult := int64(1)
	switch s[len(s)-1] {
	case 'k':
		mult = 1 << 10
	case 'm':
		mult = 1 << 20
	case 'g':
		mult = 1 << 30
	}
	var n int64
	for _, c := range strings.TrimRight(s, "bkmg") {
		n = n*10 + int64(c-'0')
	}
	return n * mult, nil
}

// MinMemory is the smallest memory limit Memory accepts, 6 MiB: below it
// no container process starts.
const MinMemory = 6 << 20

// Memory checks a container memory limit as Podman's --memory reads it: a
// number of bytes with an optional unit b, k, m or g, e.g. "16g", of at
// least MinMemory. A soulstone's memory and an extension rune's Memory
// follow this rule.
func Memory(s string) error {
	if s == "" {
		return fmt.Errorf("memory limit is empty; %s, or leave it out", sizeHow)
	}
	if err := ShmSize(s); err != nil {
		return fmt.Errorf("memory limit %q is not a number with one unit; %s", s, sizeHow)
	}
	n, _ := SizeBytes(s)
	if n < MinMemory {
		return fmt.Errorf("memory limit %q is below 6m, too little to run a container; %s", s, sizeHow)
	}
	return nil
}
