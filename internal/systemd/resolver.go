package systemd

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Unit name conventions of lychd.
const (
	// UnitPattern matches every unit lychd generates.
	UnitPattern = "lychd-*"
	// PodUnit is the service Quadlet generates from lychd.pod.
	PodUnit = "lychd-pod.service"
	// CovenPrefix and CovenSuffix frame a coven target's name.
	CovenPrefix = "lychd-coven-"
	CovenSuffix = ".target"
	// SoulstonePrefix and ServiceSuffix frame a soulstone service's name.
	SoulstonePrefix = "lychd-soulstone-"
	ServiceSuffix   = ".service"
)

// CovenUnit is the target of a coven with two or more members.
func CovenUnit(name string) string { return CovenPrefix + name + CovenSuffix }

// SoulstoneUnit is the service Quadlet generates for a soulstone.
func SoulstoneUnit(name string) string { return SoulstonePrefix + name + ServiceSuffix }

// UnitResolver resolves coven and soulstone names against the units the
// manager has, and finds conflicts from the units' own Conflicts=: exactly
// what systemd will enforce, with no need for the Codex.
//
// It reads a unit only when a question needs it, each at most once, and
// lists nothing: reading an inactive unit makes systemd load it and every
// unit it references, so listing and reading every lychd unit up front made
// `lychd start` cost twice a bare `systemctl start`.
type UnitResolver struct {
	ctx   context.Context
	m     Manager
	read  map[string]readUnit
	err   error
	files Files
}

// Files answers from the unit files lychd installed (installed.Index), so
// that a name resolves without asking systemd: before a start, reading the
// inactive unit would make systemd load the whole graph once more (~0.4 s
// with 1,000 soulstones).
type Files interface {
	// Has reports whether a file of lychd's defines unit.
	Has(unit string) bool
	// Wants returns the Wants= of a unit file lychd wrote.
	Wants(unit string) ([]string, error)
}

// UseFiles makes Resolve answer from f for the names f defines; other
// names are still looked up in systemd.
func (r *UnitResolver) UseFiles(f Files) { r.files = f }

type readUnit struct {
	u   Unit
	err error
}

// NewUnitResolver returns a resolver that reads units from m with ctx.
func NewUnitResolver(ctx context.Context, m Manager) (*UnitResolver, error) {
	return &UnitResolver{ctx: ctx, m: m, read: map[string]readUnit{}}, nil
}

// Err returns the first error reading a unit met. The answers of Conflict,
// ConflictAmong and ConflictingWith are incomplete when it is not nil.
func (r *UnitResolver) Err() error { return r.err }

// unit returns the lychd unit called name with its dependencies, reading it
// on first use. Other units, and units that fail to read, have none.
func (r *UnitResolver) unit(name string) Unit {
	u, _ := r.get(name)
	return u
}

// get is unit with the read's error, which it also keeps for Err.
func (r *UnitResolver) get(name string) (Unit, error) {
	if !strings.HasPrefix(name, "lychd-") {
		return Unit{Name: name}, nil
	}
	if x, ok := r.read[name]; ok {
		return x.u, x.err
	}
	u, err := r.m.ReadUnit(r.ctx, name)
	if err != nil {
		if r.err == nil {
			r.err = err
		}
		u = Unit{Name: name}
	}
	r.read[name] = readUnit{u, err}
	return u, err
}

// loaded reports whether systemd has the lychd unit name loaded.
func (r *UnitResolver) loaded(name string) bool { return r.unit(name).LoadState == "loaded" }

// Resolve returns the unit that starts or stops name (a coven's target, else
// a soulstone's service) and the soulstone services it covers.
func (r *UnitResolver) Resolve(name string) (unit string, members []string, err error) {
	if r.files != nil {
		if t := CovenUnit(name); r.files.Has(t) {
			if wants, err := r.files.Wants(t); err == nil {
				return t, soulstones(wants), nil
			}
		}
		if s := SoulstoneUnit(name); r.files.Has(s) {
			return s, []string{s}, nil
		}
	}
	t, err := r.get(CovenUnit(name))
	if err != nil {
		return "", nil, fmt.Errorf("looking up %q: %w", name, err)
	}
	if t.LoadState == "loaded" {
		return t.Name, soulstones(append(append([]string(nil), t.ConsistsOf...), t.Wants...)), nil
	}
	s, err := r.get(SoulstoneUnit(name))
	if err != nil {
		return "", nil, fmt.Errorf("looking up %q: %w", name, err)
	}
	if s.LoadState == "loaded" {
		return s.Name, []string{s.Name}, nil
	}
	return "", nil, fmt.Errorf("no coven or soulstone named %q: systemd has neither %s nor %s loaded (run `lychd bind` after adding it to the Codex; `lychd status` lists what is installed)",
		name, CovenUnit(name), SoulstoneUnit(name))
}

// soulstones returns the soulstone services among units, sorted, once each.
func soulstones(units []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range units {
		if strings.HasPrefix(u, SoulstonePrefix) && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out
}

// Conflict returns the first pair of names, in the order given, that systemd
// would not let run together (see ConflictAmong). Names Resolve does not know
// are skipped.
func (r *UnitResolver) Conflict(names []string) (a, b string, ok bool) {
	var units, known []string
	for _, n := range names {
		if u, _, err := r.Resolve(n); err == nil {
			units = append(units, u)
			known = append(known, n)
		}
	}
	i, j, ok := r.ConflictAmong(units)
	if !ok {
		return "", "", false
	}
	return known[i], known[j], true
}

// ConflictAmong returns the indexes of the first pair of units, in the order
// given, that systemd would not let run together: some unit that starting
// one of them starts (the unit and, transitively, the lychd units it
// Wants=, Requires= or BindsTo=, such as a coven's members and their hold
// targets) conflicts with some unit that starting the other one starts.
func (r *UnitResolver) ConflictAmong(units []string) (i, j int, ok bool) {
	if len(units) < 2 {
		return 0, 0, false
	}
	sets := make([]map[string]bool, len(units))
	for k, u := range units {
		sets[k] = r.closure(u)
	}
	for i := range units {
		for j := i + 1; j < len(units); j++ {
			if r.setsConflict(sets[i], sets[j]) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// Has reports whether systemd has unit loaded.
func (r *UnitResolver) Has(unit string) bool { return r.loaded(unit) }

// ConflictingWith returns the units among starting that unit conflicts with
// (either way, through what each pulls in), in the order given: why systemd
// stops unit when starting them.
func (r *UnitResolver) ConflictingWith(unit string, starting []string) []string {
	cu := r.closure(unit)
	var out []string
	for _, s := range starting {
		if s != unit && r.setsConflict(cu, r.closure(s)) {
			out = append(out, s)
		}
	}
	return out
}

// closure returns unit and the loaded lychd units it pulls in when started.
func (r *UnitResolver) closure(unit string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{unit}
	for len(stack) > 0 {
		u := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[u] {
			continue
		}
		seen[u] = true
		d := r.unit(u)
		for _, deps := range [][]string{d.Wants, d.Requires, d.BindsTo} {
			for _, v := range deps {
				if r.loaded(v) && !seen[v] {
					stack = append(stack, v)
				}
			}
		}
	}
	return seen
}

func (r *UnitResolver) setsConflict(x, y map[string]bool) bool {
	for u := range x {
		for _, c := range r.unit(u).Conflicts {
			if y[c] {
				return true
			}
		}
	}
	for v := range y {
		for _, c := range r.unit(v).Conflicts {
			if x[c] {
				return true
			}
		}
	}
	return false
}
