// Package covenant computes the Law of Exclusivity: which soulstones may run
// together, given their covens and the user's alliances, and how that is
// expressed as a small systemd dependency graph.
//
// Two soulstones are compatible exactly when they share a coven, or some coven
// of one is allied with some coven of the other. Compatibility depends only on
// a soulstone's set of covens, so soulstones are grouped into classes (one per
// distinct coven set) and enmity is computed between classes. The number of
// classes is at most the number of distinct coven sets, so the graph lychd
// writes grows with runes plus classes squared, not runes squared.
package covenant

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/unitname"
)

// Coven is a named group of soulstones.
type Coven struct {
	Name string
	// Members are soulstone names, sorted.
	Members []string
	// HasTarget is true for covens of two or more members: they get a
	// lychd-coven-NAME.target master switch.
	HasTarget bool
}

// TargetName is the coven's master-switch unit (only meaningful with
// HasTarget).
func (c *Coven) TargetName() string { return unitname.CovenTarget(c.Name) }

// Class is a set of soulstones with exactly the same covens, and therefore
// exactly the same enemies.
type Class struct {
	// Index is the class's position in Graph.Classes.
	Index int
	// Covens are the covens shared by every member, sorted.
	Covens []string
	// Members are soulstone names, sorted.
	Members []string
}

// Graph is the compatibility relation over a manifest's soulstones.
type Graph struct {
	covens   []*Coven
	covenIdx map[string]*Coven
	classes  []*Class
	classOf  map[string]*Class
	// hostile[i][j] is true when classes i and j may not run together.
	hostile [][]bool
}

// Build computes the graph for the soulstones among runes. Alliances naming
// a coven no soulstone belongs to are an error.
func Build(runes []model.Rune, alliances [][]string) (*Graph, error) {
	g := &Graph{covenIdx: map[string]*Coven{}, classOf: map[string]*Class{}}
	classByKey := map[string]*Class{}
	for i := range runes {
		r := &runes[i]
		if !r.InCoven() {
			continue // core runes, resident soulstones and one-shots conflict with nothing
		}
		covens := append([]string(nil), r.Covens()...)
		sort.Strings(covens)
		covens = dedup(covens)
		for _, c := range covens {
			cv := g.covenIdx[c]
			if cv == nil {
				cv = &Coven{Name: c}
				g.covenIdx[c] = cv
				g.covens = append(g.covens, cv)
			}
			cv.Members = append(cv.Members, r.Name)
		}
		key := strings.Join(covens, "\x00")
		cl := classByKey[key]
		if cl == nil {
			cl = &Class{Covens: covens}
			classByKey[key] = cl
			g.classes = append(g.classes, cl)
		}
		cl.Members = append(cl.Members, r.Name)
		g.classOf[r.Name] = cl
	}
	sort.Slice(g.covens, func(i, j int) bool { return g.covens[i].Name < g.covens[j].Name })
	for _, c := range g.covens {
		sort.Strings(c.Members)
		c.HasTarget = len(c.Members) >= 2
	}
	sort.Slice(g.classes, func(i, j int) bool {
		return strings.Join(g.classes[i].Covens, "\x00") < strings.Join(g.classes[j].Covens, "\x00")
	})
	for i, cl := range g.classes {
		cl.Index = i
		sort.Strings(cl.Members)
	}

	// allied[c] is the set of covens allied with c (including itself).
	allied := map[string]map[string]bool{}
	for _, c := range g.covens {
		allied[c.Name] = map[string]bool{c.Name: true}
	}
	var unknown []string
	for _, group := range alliances {
		for _, a := range group {
			if allied[a] == nil {
				unknown = append(unknown, a)
			}
		}
		for _, a := range group {
			for _, b := range group {
				if allied[a] != nil && allied[b] != nil {
					allied[a][b] = true
				}
			}
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		unknown = dedup(unknown)
		known := make([]string, 0, len(g.covens))
		for _, c := range g.covens {
			known = append(known, c.Name)
		}
		return nil, fmt.Errorf("lychd.toml: alliances: unknown coven %s: no soulstone belongs to it (known covens: %s); remove it from the alliance or add a soulstone with groups = [%q]",
			quoteList(unknown), orNone(known), unknown[0])
	}

	n := len(g.classes)
	g.hostile = make([][]bool, n)
	for i := range g.hostile {
		g.hostile[i] = make([]bool, n)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			h := !classesCompatible(g.classes[i], g.classes[j], allied)
			g.hostile[i][j], g.hostile[j][i] = h, h
		}
	}
	return g, nil
}

func classesCompatible(a, b *Class, allied map[string]map[string]bool) bool {
	for _, x := range a.Covens {
		for _, y := range b.Covens {
			if allied[x][y] {
				return true
			}
		}
	}
	return false
}

// Covens returns every coven, sorted by name.
func (g *Graph) Covens() []*Coven { return g.covens }

// Coven returns the named coven, or nil.
func (g *Graph) Coven(name string) *Coven { return g.covenIdx[name] }

// Classes returns every class, in a deterministic order.
func (g *Graph) Classes() []*Class { return g.classes }

// ClassOf returns the class of a soulstone, or nil for unknown names.
func (g *Graph) ClassOf(soulstone string) *Class { return g.classOf[soulstone] }

// IsSoulstone reports whether name is a known soulstone.
func (g *Graph) IsSoulstone(name string) bool { return g.classOf[name] != nil }

// Compatible reports whether soulstones a and b may run at the same time.
// Unknown names (core runes) are compatible with everything.
func (g *Graph) Compatible(a, b string) bool {
	ca, cb := g.classOf[a], g.classOf[b]
	if ca == nil || cb == nil {
		return true
	}
	return !g.hostile[ca.Index][cb.Index]
}

// HostileClasses reports whether classes i and j may not run together.
func (g *Graph) HostileClasses(i, j int) bool { return g.hostile[i][j] }

// WhyHostile explains in words why two soulstones cannot run together, e.g.
// `"a" is in coven "vision", "b" in coven "tts", and no alliance joins them`.
func (g *Graph) WhyHostile(a, b string) string {
	ca, cb := g.classOf[a], g.classOf[b]
	if ca == nil || cb == nil {
		return ""
	}
	return fmt.Sprintf("%q is in %s %s, %q in %s %s, and no alliance joins them",
		a, plural("coven", len(ca.Covens)), quoteList(ca.Covens), b, plural("coven", len(cb.Covens)), quoteList(cb.Covens))
}

// ConflictingPair returns the first pair among names (soulstone names) that
// may not run together, in input order.
func (g *Graph) ConflictingPair(names []string) (a, b string, ok bool) {
	for i := range names {
		for j := i + 1; j < len(names); j++ {
			if !g.Compatible(names[i], names[j]) {
				return names[i], names[j], true
			}
		}
	}
	return "", "", false
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func plural(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
