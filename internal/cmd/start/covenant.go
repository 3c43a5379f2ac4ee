package start

import (
	"fmt"

	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/systemd"
)

// CovenantResolver resolves names against the compiled covenant (the Codex
// and extensions as lychd bind compiles them) instead of the installed
// units. It also satisfies stop.Resolver.
type CovenantResolver struct {
	Graph *covenant.Graph
}

var _ Resolver = CovenantResolver{}

// Resolve maps a coven with a target to the target, a coven of one to its
// soulstone's service, and a soulstone name to its service.
func (r CovenantResolver) Resolve(name string) (unit string, members []string, err error) {
	if c := r.Graph.Coven(name); c != nil {
		for _, m := range c.Members {
			members = append(members, systemd.SoulstoneUnit(m))
		}
		if c.HasTarget {
			return c.TargetName(), members, nil
		}
		if len(c.Members) == 1 {
			return members[0], members, nil
		}
	}
	if r.Graph.IsSoulstone(name) {
		return systemd.SoulstoneUnit(name), []string{systemd.SoulstoneUnit(name)}, nil
	}
	return "", nil, fmt.Errorf("no coven or soulstone named %q in the Codex or the installed extensions (`lychd status` lists what is installed)", name)
}

// soulstones returns the soulstones a name stands for.
func (r CovenantResolver) soulstones(name string) []string {
	if c := r.Graph.Coven(name); c != nil {
		return c.Members
	}
	if r.Graph.IsSoulstone(name) {
		return []string{name}
	}
	return nil
}

// Conflict returns the first pair of names with soulstones that may not run
// together.
func (r CovenantResolver) Conflict(names []string) (a, b string, ok bool) {
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if r.hostilePair(names[i], names[j]) != [2]string{} {
				return names[i], names[j], true
			}
		}
	}
	return "", "", false
}

func (r CovenantResolver) hostilePair(a, b string) [2]string {
	for _, x := range r.soulstones(a) {
		for _, y := range r.soulstones(b) {
			if !r.Graph.Compatible(x, y) {
				return [2]string{x, y}
			}
		}
	}
	return [2]string{}
}

// WhyConflict explains why names a and b conflict, naming a hostile pair of
// soulstones and their covens.
func (r CovenantResolver) WhyConflict(a, b string) string {
	p := r.hostilePair(a, b)
	if p == [2]string{} {
		return ""
	}
	return r.Graph.WhyHostile(p[0], p[1])
}
