package validate

import (
	"fmt"
	"sort"
	"strings"
)

// ExtensionRune is what the rules on a whole registration read of a rune.
type ExtensionRune struct {
	Name string
	// AlwaysOn is true for an always-on rune, false for a soulstone.
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
// always-on, with the ports they declare inside the pod. (Their host
// ports are the user's to choose, so no rule here depends on them.)
func CoreRunes() []ExtensionRune {
	return []ExtensionRune{
		{Name: "vessel", AlwaysOn: true, Port: 8000},
		{Name: "phylactery", AlwaysOn: true, Port: 5432},
		{Name: "oculus", AlwaysOn: true, Port: 6006},
	}
}

// Registrations applies every rule that the whole registration of one
// extension, called extension, must satisfy whatever else the user's
// Codex and other extensions hold, and returns each problem in the words
// lychd uses for it: first the rules lychd applies as the extension
// registers (a name registered twice, a soulstone Animator whose rune the
// extension did not register), then those lychd bind applies once
// everything is assembled, naming the extension as bind does ("extension
// NAME"): a rune named like one of the core's, two runes that would get
// the same unit, a soulstone Animator served by an always-on rune, two
// runes that always run together (a core rune or an always-on rune runs
// with everything, two soulstones that share a coven run together) on the
// same port, and a host port published twice.
//
// Rules that depend on the user's choices (alliances, the core's host
// ports) or on other sources are bind's alone.
func Registrations(extension string, runes []ExtensionRune, animators []ExtensionAnimator) []error {
	var errs []error
	src := "extension " + extension
	byName := map[string]ExtensionRune{}
	for _, r := range runes {
		if _, dup := byName[r.Name]; dup {
			errs = append(errs, fmt.Errorf("registered rune %s twice; give each rune its own name", quote(r.Name)))
			continue
		}
		byName[r.Name] = r
	}
	animatorNames := map[string]bool{}
	for _, a := range animators {
		if animatorNames[a.Name] {
			errs = append(errs, fmt.Errorf("registered Animator %s twice; give each Animator its own name", quote(a.Name)))
		}
		animatorNames[a.Name] = true
		if _, ok := byName[a.Rune]; a.Rune != "" && !ok {
			//lint:ignore ST1005 "Animator" is the SDK's type, as lychd's message names it
			errs = append(errs, fmt.Errorf("Animator %s is served by rune %s, which this extension did not register; add the rune with AddRune or make the Animator a portal", quote(a.Name), quote(a.Rune)))
		}
	}

	// What bind sees: the core's runes first, then the extension's (each
	// name once: lychd refuses a second one as it is registered).
	type placed struct {
		ExtensionRune
		source string
	}
	var all []placed
	core := map[string]bool{}
	for _, r := range CoreRunes() {
		all = append(all, placed{r, "core"})
		core[r.Name] = true
	}
	seen := map[string]bool{}
	units := map[string]placed{}
	for _, r := range all {
		units[unitOf(r.ExtensionRune)] = r
	}
	for _, r := range runes {
		if seen[r.Name] {
			continue
		}
		seen[r.Name] = true
		p := placed{r, src}
		all = append(all, p)
		if core[r.Name] {
			errs = append(errs, fmt.Errorf("rune %q is defined twice: by core and by %s; rename one of them", r.Name, src))
			continue
		}
		if prev, ok := units[unitOf(r)]; ok {
			errs = append(errs, fmt.Errorf("runes %q (%s) and %q (%s) both map to unit %s; rename one of them", prev.Name, prev.source, r.Name, src, unitOf(r)+".service"))
			continue
		}
		units[unitOf(r)] = p
	}

	// Animators on always-on runes, after the names as in bind.
	for _, a := range animators {
		r, ok := byName[a.Rune]
		switch {
		case a.Rune == "" || !ok:
		case core[a.Rune]: // bind keeps the core's rune of that name
			errs = append(errs, fmt.Errorf("animator %q (%s) is manifested by %q (core), which is a core rune, not a soulstone", a.Name, src, a.Rune))
		case r.AlwaysOn:
			errs = append(errs, fmt.Errorf("animator %q (%s) is manifested by %q (%s), which is a core rune, not a soulstone", a.Name, src, a.Rune, src))
		}
	}

	// Ports inside the pod, as bind checks them: by port, the runes on it
	// in name order, grouped by coven set (an always-on rune alone); one
	// problem per group of two or more, and one per pair of groups that
	// can run together.
	byPort := map[int][]placed{}
	for _, r := range all {
		if r.Port > 0 {
			byPort[r.Port] = append(byPort[r.Port], r)
		}
	}
	ports := make([]int, 0, len(byPort))
	for p := range byPort {
		ports = append(ports, p)
	}
	sort.Ints(ports)
	portErr := func(p int, a, b placed) error {
		return fmt.Errorf("port %d is declared by rune %q (%s) and rune %q (%s), which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied", p, a.Name, a.source, b.Name, b.source)
	}
	for _, p := range ports {
		rs := byPort[p]
		sort.SliceStable(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
		type group struct {
			first  placed
			covens []string // nil for an always-on rune
			n      int
		}
		var groups []*group
		byCovens := map[string]*group{}
		for _, r := range rs {
			if r.AlwaysOn {
				groups = append(groups, &group{first: r, n: 1})
				continue
			}
			cs := covensOf(r.ExtensionRune)
			key := strings.Join(cs, "\x00")
			if g := byCovens[key]; g != nil {
				g.n++
				if g.n == 2 {
					errs = append(errs, portErr(p, g.first, r))
				}
				continue
			}
			g := &group{first: r, covens: cs, n: 1}
			byCovens[key] = g
			groups = append(groups, g)
		}
		for i := 0; i < len(groups); i++ {
			for j := i + 1; j < len(groups); j++ {
				a, b := groups[i], groups[j]
				if a.covens == nil || b.covens == nil || shareOne(a.covens, b.covens) {
					errs = append(errs, portErr(p, a.first, b.first))
				}
			}
		}
	}

	// Host ports, in the order of the units (bind's order); the core's
	// are the user's to choose and left out.
	ext := append([]placed(nil), all[len(CoreRunes()):]...)
	sort.SliceStable(ext, func(i, j int) bool { return unitOf(ext[i].ExtensionRune) < unitOf(ext[j].ExtensionRune) })
	hostPorts := map[int]placed{}
	for _, r := range ext {
		if !r.ExposePort {
			continue
		}
		hp := r.HostPort
		if hp == 0 {
			hp = r.Port
		}
		if prev, dup := hostPorts[hp]; dup {
			errs = append(errs, fmt.Errorf("host port %d is published twice: by rune %q (%s) and by rune %q (%s); set a different host_port on one of them", hp, prev.Name, prev.source, r.Name, r.source))
			continue
		}
		hostPorts[hp] = r
	}

	return errs
}

// unitOf is the unit name of r without its suffix, as lychd names it.
func unitOf(r ExtensionRune) string {
	if r.AlwaysOn {
		return "lychd-" + r.Name
	}
	return "lychd-soulstone-" + r.Name
}

// covensOf is a soulstone's covens, sorted, each once.
func covensOf(r ExtensionRune) []string {
	cs := append([]string(nil), r.Groups...)
	if len(cs) == 0 {
		cs = []string{r.Name}
	}
	sort.Strings(cs)
	out := cs[:0]
	for i, c := range cs {
		if i == 0 || c != cs[i-1] {
			out = append(out, c)
		}
	}
	return out
}

func shareOne(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}
