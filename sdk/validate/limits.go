package validate

import (
	"fmt"
	"sort"
	"strings"
)

// Limits on single values and runes. Each is far above what a real
// configuration needs, and low enough that every value fits in the unit
// files lychd writes (its unit writer refuses lines over 64 KiB, systemd a
// unit with a line over 1 MiB) and costs nothing to check.
const (
	// MaxPathLen bounds a volume or device, like Linux's PATH_MAX.
	MaxPathLen = 4096
	// MaxValueLen bounds an environment variable's value and an exec
	// argument.
	MaxValueLen = 8 << 10
	// MaxEnvNameLen bounds an environment variable's name.
	MaxEnvNameLen = 255
	// MaxList bounds the entries of any list of a rune (groups, devices,
	// exec, ...) and its environment variables.
	MaxList = 1000
	// MaxCovensPerRune bounds the covens one soulstone belongs to.
	MaxCovensPerRune = 32
	// MaxRuneSize bounds all of a rune's text together: its name,
	// description, image, every list entry, every environment name and
	// value. The longest line lychd writes for a rune (Exec=, every
	// argument quoted) then stays under 64 KiB, and the command line
	// Quadlet generates from all of it far under systemd's 1 MiB.
	MaxRuneSize = 24 << 10
	// MaxRegistrationSize bounds everything one extension registers, its
	// runes' and Animators' text together, like a Codex file's 1 MiB.
	MaxRegistrationSize = 1 << 20
)

// Limits on the whole Sepulcher: the core, the Codex and every extension
// together. The units that keep incompatible soulstones apart grow with
// the square of the number of different coven memberships; everything
// else grows linearly. The limits keep the worst case (every coven hostile
// to every other) within what Quadlet and systemd load in seconds.
const (
	// MaxTotalRunes bounds the soulstones and always-on runes.
	MaxTotalRunes = 10000
	// MaxCovens bounds the covens; a soulstone without groups is a coven
	// of its own.
	MaxCovens = 500
	// MaxCovenSets bounds the different coven memberships: the distinct
	// sets of covens the soulstones belong to.
	MaxCovenSets = 500
	// MaxPublishedPorts bounds the ports published on the host: the pod's
	// publish entries and the runes' exposed ports.
	MaxPublishedPorts = 1000
	// MaxTotalSize bounds the text of every rune together.
	MaxTotalSize = 16 << 20
)

// RuneSize is the size CheckRune bounds by MaxRuneSize: the bytes of all
// of r's text.
func RuneSize(r Rune) int {
	n := len(r.Name) + len(r.Description) + len(r.Image)
	n += len(r.ShmSize) + len(r.Memory)
	for _, l := range [][]string{r.Groups, r.After, r.Wants, r.Requires, r.Devices, r.Volumes, r.Exec, r.Secrets, r.HealthCmd} {
		for _, s := range l {
			n += len(s)
		}
	}
	for _, e := range r.Environment {
		n += len(e.Name) + len(e.Value)
	}
	return n
}

// Tally counts the runes of a Sepulcher one at a time and reports the rune
// that takes a total past its limit (each limit once). The zero Tally is
// empty and ready to use.
type Tally struct {
	runes, published, size int
	covens                 map[string]bool
	sets                   map[string]bool
	over                   map[string]bool
}

// covensOf returns the covens of soulstone r, sorted: its groups, or a
// coven of its own.
func covensOf(r Rune) []string {
	if len(r.Groups) == 0 {
		return []string{r.Name}
	}
	c := append([]string(nil), r.Groups...)
	sort.Strings(c)
	return c
}

// Add counts r and returns the limits it takes the Sepulcher past (the
// limit on coven memberships only when the one on covens is not passed
// already: a soulstone of a new coven of its own passes both).
func (t *Tally) Add(r Rune) []error {
	if t.covens == nil {
		t.covens, t.sets, t.over = map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
	var errs []error
	past := func(limit string, err error) {
		if !t.over[limit] {
			t.over[limit] = true
			errs = append(errs, err)
		}
	}
	t.runes++
	if t.runes > MaxTotalRunes {
		past("runes", fmt.Errorf("this is rune number %d; lychd supports at most %d soulstones and always-on runes in all", t.runes, MaxTotalRunes))
	}
	t.size += RuneSize(r)
	if t.size > MaxTotalSize {
		past("size", fmt.Errorf("with this rune the runes' text adds up to more than %d bytes; lychd supports at most %d (16 MiB) in all", MaxTotalSize, MaxTotalSize))
	}
	if r.ExposePort {
		errs = append(errs, t.Publish(1)...)
	}
	if r.AlwaysOn {
		return errs
	}
	covens := covensOf(r)
	for _, c := range covens {
		t.covens[c] = true
	}
	if len(t.covens) > MaxCovens {
		past("covens", fmt.Errorf("this soulstone's covens make %d covens; lychd supports at most %d (a soulstone without groups is a coven of its own): put soulstones that take turns on the same hardware in shared covens", len(t.covens), MaxCovens))
	}
	t.sets[strings.Join(covens, "\x00")] = true
	if len(t.sets) > MaxCovenSets && !t.over["covens"] {
		past("sets", fmt.Errorf("this soulstone makes %d different coven memberships (distinct sets of covens); lychd supports at most %d, since the units that keep covens apart grow with the square of this number: give soulstones the same groups where you can", len(t.sets), MaxCovenSets))
	}
	return errs
}

// Publish counts n ports published on the host (the pod's publish
// entries; Add counts exposed ports) and reports passing the limit.
func (t *Tally) Publish(n int) []error {
	if t.over == nil {
		t.covens, t.sets, t.over = map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
	t.published += n
	if t.published > MaxPublishedPorts && !t.over["published"] {
		t.over["published"] = true
		return []error{fmt.Errorf("this makes %d ports published on the host; lychd supports at most %d", t.published, MaxPublishedPorts)}
	}
	return nil
}
