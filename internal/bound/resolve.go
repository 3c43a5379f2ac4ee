package bound

import (
	"errors"
	"fmt"
	"sort"

	"github.com/lychd/lychd/internal/unitname"

	"github.com/lychd/lychd/internal/covenant"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/spelling"
)

// Target is what a name on the command line stands for.
type Target struct {
	// Name is the name as given.
	Name string
	// Unit starts or stops it: a coven's target (or its only member's
	// service), a soulstone's or a core rune's service.
	Unit string
	// Soulstones are the soulstones it covers, sorted.
	Soulstones []string
}

// Resolve returns what name stands for: a coven (the covens of one
// included, named after their soulstone), a soulstone or a core rune.
func (r *Record) Resolve(name string) (Target, error) {
	if c, ok := r.Coven(name); ok {
		return Target{Name: name, Unit: c.Unit, Soulstones: append([]string(nil), c.Members...)}, nil
	}
	if ru, ok := r.Rune(name); ok {
		if ru.Kind == model.KindSoulstone {
			return Target{Name: name, Unit: unitname.SoulstoneService(name), Soulstones: []string{name}}, nil
		}
		return Target{Name: name, Unit: unitname.AlwaysOnService(name)}, nil
	}
	return Target{}, fmt.Errorf("%q is neither a coven, a soulstone nor a core rune of the bound Sepulcher%s; see them with: lychd status", name, r.suggest(name))
}

// suggest returns ` (did you mean "x"?)` for the closest known name, or "".
func (r *Record) suggest(name string) string {
	var names []string
	for _, c := range r.Covens {
		names = append(names, c.Name)
	}
	for _, ru := range r.Manifest.Runes {
		names = append(names, ru.Name)
	}
	sort.Strings(names)
	if best := spelling.Closest(name, names, 2); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// Unit returns the unit called name.
func (r *Record) Unit(name string) (Unit, bool) {
	for _, u := range r.Units {
		if u.Name == name {
			return u, true
		}
	}
	return Unit{}, false
}

// Soulstones returns the soulstones the unit called name covers: a
// soulstone's service covers its soulstone, a coven or hold target its
// members; any other unit none.
func (r *Record) Soulstones(name string) []string {
	u, ok := r.Unit(name)
	switch {
	case !ok:
		return nil
	case u.Kind == KindSoulstone:
		return []string{u.Rune}
	default:
		return u.Soulstones
	}
}

// ResolveAll resolves every name (see Resolve), each unit once, in order,
// and reports every unknown name at once.
func (r *Record) ResolveAll(names []string) ([]Target, error) {
	var out []Target
	var errs []error
	seen := map[string]bool{}
	for _, n := range names {
		t, err := r.Resolve(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !seen[t.Unit] {
			seen[t.Unit] = true
			out = append(out, t)
		}
	}
	return out, errors.Join(errs...)
}

// SoulstoneUnit is the service of the soulstone called name.
func (r *Record) SoulstoneUnit(name string) string { return unitname.SoulstoneService(name) }

// Conflict returns the first pair of targets (in order) with soulstones
// that may not run together, and why.
func Conflict(g *covenant.Graph, targets []Target) (a, b, why string, ok bool) {
	for i := range targets {
		for j := i + 1; j < len(targets); j++ {
			for _, x := range targets[i].Soulstones {
				for _, y := range targets[j].Soulstones {
					if !g.Compatible(x, y) {
						return targets[i].Name, targets[j].Name, g.WhyHostile(x, y), true
					}
				}
			}
		}
	}
	return "", "", "", false
}
