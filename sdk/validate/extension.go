package validate

import (
	"fmt"
	"sort"
)

// ExtensionRune is what the rules on a whole registration read of a rune.
type ExtensionRune struct {
	Name string
	// AlwaysOn is true for an always-on or one-shot rune, false for a
	// soulstone.
	AlwaysOn bool
	// Groups are a soulstone's covens as registered; none means a coven
	// of one named after it.
	Groups     []string
	Port       int
	ExposePort bool
	HostPort   int
}

// ExtensionAnimator is what the rules on a whole registration read of an
// Animator.
type ExtensionAnimator struct {
	Name string
	// Rune is the rune that serves a soulstone Animator (its Rune, or its
	// own name); empty for a portal.
	Rune string
}

// CoreRunes are the runes lychd's core registers in every Sepulcher,
// always-on or (migrate) one-shot, with the ports they declare inside the
// pod. (Their host
// ports are the user's to choose, so no rule here depends on them.)
func CoreRunes() []ExtensionRune {
	return []ExtensionRune{
		{Name: "vessel", AlwaysOn: true, Port: 8000},
		{Name: "migrate", AlwaysOn: true},
		{Name: "phylactery", AlwaysOn: true, Port: 5432},
		{Name: "oculus", AlwaysOn: true, Port: 6006},
	}
}

// Registrations applies the rules lychd bind applies to one extension's
// registration once the core is beside it, whatever else the user's Codex
// and other extensions hold, and returns each problem in bind's words:
// a soulstone Animator served by an always-on rune, and a port the
// extension's runes share with a core rune they always run with (every
// rune runs with the core). The rules of the registration on its own
// (each rune, names twice, two of its runes on one port, a host port
// twice, an Animator without its rune) are sdk.ValidateSet's, which lychd
// applies as the extension registers. Rules that depend on the user's
// choices (alliances, the core's host ports) or on other sources are
// bind's alone.
func Registrations(extension string, runes []ExtensionRune, animators []ExtensionAnimator) []error {
	var errs []error
	src := "extension " + extension
	byName := map[string]ExtensionRune{}
	for _, r := range runes {
		if _, dup := byName[r.Name]; !dup {
			byName[r.Name] = r
		}
	}
	isCore := map[string]bool{}
	for _, c := range CoreRunes() {
		isCore[c.Name] = true
	}
	for _, a := range animators {
		r, ok := byName[a.Rune]
		if ok && r.AlwaysOn && !isCore[a.Rune] {
			errs = append(errs, fmt.Errorf("animator %q (%s) is manifested by %q (%s), which is a core rune, not a soulstone", a.Name, src, a.Rune, src))
		}
	}
	// Ports inside the pod, as bind reports them: by port, the two runes
	// in name order, each with its source.
	core := CoreRunes()
	sort.Slice(core, func(i, j int) bool { return core[i].Port < core[j].Port })
	for _, c := range core {
		if c.Port == 0 {
			continue // declares no port
		}
		var on []ExtensionRune
		for _, r := range runes {
			if r.Port == c.Port && !isCore[r.Name] {
				on = append(on, r)
			}
		}
		sort.SliceStable(on, func(i, j int) bool { return on[i].Name < on[j].Name })
		for _, r := range on {
			a, b := fmt.Sprintf("rune %q (core)", c.Name), fmt.Sprintf("rune %q (%s)", r.Name, src)
			if r.Name < c.Name {
				a, b = b, a
			}
			errs = append(errs, SharedPort(c.Port, a, b))
		}
	}
	return errs
}
