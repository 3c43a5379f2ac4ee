package scribe

import (
	"container/heap"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/spelling"
	"github.com/lychd/lychd/internal/unitname"
)

// deps are the [Unit] dependency lists lychd writes for one unit.
type deps struct {
	Wants, Requires, After, PartOf, Conflicts []string
}

// layout is the compiled dependency graph: what every unit depends on.
type layout struct {
	graph *covenant.Graph
	// groups are the presence groups: classes with exactly the same
	// compatible classes. Their members may all run together and have the
	// same enemies, so one hold serves them all.
	groups []*group
	// groupOf maps a class index to its group.
	groupOf map[int]*group
	// units maps a unit name to its dependencies.
	units map[string]*deps
}

// group is a presence group.
type group struct {
	classes []*covenant.Class
	// members are the soulstones of every class, sorted.
	members []string
	// hold is the group's hold target, "" for a group of one soulstone.
	hold string
	// presence is the unit active exactly while a member runs: the hold,
	// or the only member's service.
	presence string
}

// covens lists the group's classes as "a+b, c" for descriptions.
func (gr *group) covens() string {
	parts := make([]string, len(gr.classes))
	for i, cl := range gr.classes {
		parts[i] = strings.Join(cl.Covens, "+")
	}
	return strings.Join(parts, ", ")
}

// maxDescribedCovens bounds how much of a group's covens a hold's
// description lists: a group can hold hundreds of classes.
const maxDescribedCovens = 512

// covensShort is covens, cut at about maxDescribedCovens bytes with the
// number of classes left out.
func (gr *group) covensShort() string {
	var b strings.Builder
	for i, cl := range gr.classes {
		part := strings.Join(cl.Covens, "+")
		if i > 0 && b.Len()+len(part) > maxDescribedCovens {
			fmt.Fprintf(&b, " and %d more", len(gr.classes)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(part)
	}
	return b.String()
}

// holdName names a group's hold target after its classes.
func holdName(classes []*covenant.Class) string {
	covens := make([][]string, len(classes))
	for i, cl := range classes {
		covens[i] = cl.Covens
	}
	return unitname.HoldTarget(covens)
}

// groupClasses puts classes with identical rows of the hostility matrix into
// one presence group, in class order. Two such classes are compatible with
// each other (each is compatible with itself) and have the same enemies.
func groupClasses(g *covenant.Graph) ([]*group, map[int]*group) {
	classes := g.Classes()
	byRow := map[string]*group{}
	var groups []*group
	groupOf := map[int]*group{}
	row := make([]byte, len(classes))
	for _, cl := range classes {
		for j := range classes {
			row[j] = '0'
			if g.HostileClasses(cl.Index, j) {
				row[j] = '1'
			}
		}
		gr := byRow[string(row)]
		if gr == nil {
			gr = &group{}
			byRow[string(row)] = gr
			groups = append(groups, gr)
		}
		gr.classes = append(gr.classes, cl)
		gr.members = append(gr.members, cl.Members...)
		groupOf[cl.Index] = gr
	}
	for _, gr := range groups {
		sort.Strings(gr.members)
		if len(gr.members) >= 2 {
			gr.hold = holdName(gr.classes)
			gr.presence = gr.hold
		} else {
			gr.presence = unitname.SoulstoneService(gr.members[0])
		}
	}
	return groups, groupOf
}

func (l *layout) unit(name string) *deps {
	d := l.units[name]
	if d == nil {
		d = &deps{}
		l.units[name] = d
	}
	return d
}

// buildLayout computes every dependency edge. It reports user references to
// unknown lychd units, dependencies on incompatible soulstones and ordering
// cycles.
func buildLayout(m *model.Manifest, g *covenant.Graph) (*layout, Errors) {
	l := &layout{graph: g, units: map[string]*deps{}}
	l.groups, l.groupOf = groupClasses(g)
	var errs Errors

	runes := m.SortedRunes()
	byService := map[string]*model.Rune{}
	for i := range runes {
		byService[runes[i].ServiceName()] = &runes[i]
	}
	targets := map[string]*covenant.Coven{}
	for _, c := range g.Covens() {
		if c.HasTarget {
			targets[c.TargetName()] = c
		}
	}

	// order holds "a before b" edges that are fixed by the layout and the
	// user's after= settings; conflict orderings are oriented along it.
	order := newDigraph()
	for _, c := range g.Covens() {
		order.node(c.TargetName())
	}
	for _, r := range runes {
		order.node(r.ServiceName())
	}
	for _, gr := range l.groups {
		if gr.hold != "" {
			order.node(gr.hold)
		}
	}

	// required maps a rune to the runes its requires= names.
	required := map[string][]string{}
	for i := range runes {
		r := &runes[i]
		svc := r.ServiceName()
		d := l.unit(svc)
		if r.InCoven() {
			cl := g.ClassOf(r.Name)
			if h := l.groupOf[cl.Index].hold; h != "" {
				// Requires= (not Wants=): a member never runs without
				// its hold, even if the hold cannot start, and a stop of
				// the hold propagates to the member.
				d.Requires = append(d.Requires, h)
				d.After = append(d.After, h)
				order.edge(h, svc)
			}
			for _, cn := range cl.Covens {
				if c := g.Coven(cn); c.HasTarget {
					d.PartOf = append(d.PartOf, c.TargetName())
				}
			}
		}
		check := func(key string, names []string, needCompatible bool) []string {
			var keep []string
			for _, u := range names {
				if !unitname.IsLychd(u) {
					keep = append(keep, u)
					continue
				}
				dep, isRune := byService[u]
				c, isTarget := targets[u]
				switch {
				case u == unitname.Pod:
				case isRune:
					if u == svc {
						errs = append(errs, fmt.Errorf("%s: %s.%s: a rune cannot depend on itself; remove %s", r.Source, r.Name, key, u))
						continue
					}
					if needCompatible && !g.Compatible(r.Name, dep.Name) {
						errs = append(errs, fmt.Errorf("%s: %s.%s: %s can never run together with %s (%s); ally their covens in lychd.toml or remove the dependency", r.Source, r.Name, key, u, r.Name, g.WhyHostile(r.Name, dep.Name)))
						continue
					}
				case isTarget:
					if needCompatible {
						bad := ""
						for _, mem := range c.Members {
							if !g.Compatible(r.Name, mem) {
								bad = mem
								break
							}
						}
						if bad != "" {
							errs = append(errs, fmt.Errorf("%s: %s.%s: %s starts %s, which can never run together with %s (%s); ally their covens in lychd.toml or remove the dependency", r.Source, r.Name, key, u, bad, r.Name, g.WhyHostile(r.Name, bad)))
							continue
						}
					}
				default:
					errs = append(errs, fmt.Errorf("%s: %s.%s: %s is not a unit lychd generates (%s); name a soulstone as lychd-soulstone-NAME.service or a coven of two or more as lychd-coven-NAME.target", r.Source, r.Name, key, u, suggestUnit(u, byService, targets)))
					continue
				}
				keep = append(keep, u)
			}
			return keep
		}
		after := check("after", r.After, false)
		wants := check("wants", r.Wants, true)
		requires := check("requires", r.Requires, true)
		d.After = append(d.After, after...)
		d.Wants = append(d.Wants, wants...)
		d.Requires = append(d.Requires, requires...)
		for _, u := range requires {
			if dep, ok := byService[u]; ok {
				required[r.Name] = append(required[r.Name], dep.Name)
			}
		}
		for _, u := range after {
			if unitname.IsLychd(u) {
				order.edge(u, svc)
			}
		}
	}

	errs = append(errs, requireChains(runes, required, g)...)

	// Coven targets want their members; systemd orders a target after the
	// units it wants unless the member is ordered after the target.
	for _, c := range g.Covens() {
		if !c.HasTarget {
			continue
		}
		t := c.TargetName()
		d := l.unit(t)
		for _, mem := range c.Members {
			svc := unitname.SoulstoneService(mem)
			d.Wants = append(d.Wants, svc)
			if !order.has(t, svc) {
				order.edge(svc, t)
			}
		}
	}

	rank, cycle := order.topo()
	if cycle != nil {
		errs = append(errs, fmt.Errorf("ordering cycle through after= settings: %s; remove one of these after= entries", strings.Join(cycle, " -> ")))
		return l, errs
	}

	// Enmity between groups, expressed once per hostile pair on the unit
	// that comes later in the order, with an ordering edge so that the stop
	// of one always completes before the start of the other.
	for i, gi := range l.groups {
		for _, gj := range l.groups[i+1:] {
			if !g.HostileClasses(gi.classes[0].Index, gj.classes[0].Index) {
				continue
			}
			a, b := gi.presence, gj.presence
			if rank[a] > rank[b] {
				a, b = b, a
			}
			d := l.unit(b)
			d.Conflicts = append(d.Conflicts, a)
			d.After = append(d.After, a)
		}
	}

	for _, d := range l.units {
		d.Wants = uniq(d.Wants)
		d.Requires = uniq(d.Requires)
		d.After = uniq(d.After)
		d.PartOf = uniq(d.PartOf)
		d.Conflicts = uniq(d.Conflicts)
	}
	return l, errs
}

// requireChains reports what could never start because systemd starts a
// rune and everything its requires= names, transitively, in one
// transaction, and refuses the whole transaction when two of those units
// conflict ("Transaction contains conflicting jobs", checked on systemd
// 252): a rune whose chains pull in two soulstones that can never run
// together, and a coven whose target starts members whose chains do (the
// target only wants its members, so systemd would start some and silently
// drop others). required holds only the entries buildLayout kept, each
// compatible with the rune naming it. wants= chains are left alone: systemd
// drops a wanted unit that conflicts and starts the rest.
func requireChains(runes []model.Rune, required map[string][]string, g *covenant.Graph) Errors {
	var errs Errors
	chains := map[string]*chain{}
	for i := range runes {
		r := &runes[i]
		c := newChain(r.Name, required)
		chains[r.Name] = c
		if x, y, ok := firstConflict(c.order, g); ok {
			what := fmt.Sprintf("%s, which can never run together with %s", c.path(y), x)
			if x != r.Name {
				what = fmt.Sprintf("%s and %s, which can never run together", c.path(x), c.path(y))
			}
			errs = append(errs, fmt.Errorf("%s: %s.requires: %s (%s), so %s could never start: systemd starts everything a rune requires in one transaction; ally their covens in lychd.toml or remove one of these requires= entries", r.Source, r.Name, what, g.WhyHostile(x, y), r.Name))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	bySoul := map[string]*model.Rune{}
	for i := range runes {
		bySoul[runes[i].Name] = &runes[i]
	}
	for _, cv := range g.Covens() {
		if !cv.HasTarget {
			continue
		}
	members:
		for i, a := range cv.Members {
			for _, b := range cv.Members[i+1:] {
				ca, cb := chains[a], chains[b]
				for _, x := range ca.order {
					for _, y := range cb.order {
						if g.Compatible(x, y) {
							continue
						}
						// Report on the member whose chain leaves the coven.
						r, what := bySoul[a], fmt.Sprintf("%s, which can never run together with %s", ca.path(x), cb.path(y))
						if x == a {
							r, what = bySoul[b], fmt.Sprintf("%s, which can never run together with %s", cb.path(y), a)
						}
						errs = append(errs, fmt.Errorf("%s: %s.requires: %s (%s), and %s starts %s and %s together, so it could never start the whole coven; ally their covens in lychd.toml or remove one of these requires= entries", r.Source, r.Name, what, g.WhyHostile(x, y), cv.TargetName(), a, b))
						break members
					}
				}
			}
		}
	}
	return errs
}

// chain is what starting one rune starts through requires=, breadth-first
// so that each path is a shortest one.
type chain struct {
	order []string
	via   map[string]string
}

func newChain(name string, required map[string][]string) *chain {
	c := &chain{order: []string{name}, via: map[string]string{name: ""}}
	for k := 0; k < len(c.order); k++ {
		for _, next := range required[c.order[k]] {
			if _, seen := c.via[next]; !seen {
				c.via[next] = c.order[k]
				c.order = append(c.order, next)
			}
		}
	}
	return c
}

// path names how the chain reaches n: "a requires b requires n".
func (c *chain) path(n string) string {
	var p []string
	for ; n != ""; n = c.via[n] {
		p = append(p, n)
	}
	slices.Reverse(p)
	return strings.Join(p, " requires ")
}

// firstConflict returns the first pair of names that can never run
// together.
func firstConflict(names []string, g *covenant.Graph) (x, y string, ok bool) {
	for a := range names {
		for _, b := range names[a+1:] {
			if !g.Compatible(names[a], b) {
				return names[a], b, true
			}
		}
	}
	return "", "", false
}

// uniq removes duplicates, keeping first occurrences.
func uniq(s []string) []string {
	if len(s) < 2 {
		return s
	}
	seen := make(map[string]bool, len(s))
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func suggestUnit(u string, runes map[string]*model.Rune, targets map[string]*covenant.Coven) string {
	names := make([]string, 0, len(runes)+len(targets))
	for n := range runes {
		names = append(names, n)
	}
	for n := range targets {
		names = append(names, n)
	}
	if best := spelling.Closest(u, names, 3); best != "" {
		return fmt.Sprintf("did you mean %s?", best)
	}
	return "no such soulstone or coven"
}

// digraph is a small directed graph of unit names with deterministic
// topological sorting.
type digraph struct {
	idx   map[string]int
	names []string
	out   []map[int]bool
}

func newDigraph() *digraph { return &digraph{idx: map[string]int{}} }

func (d *digraph) node(n string) int {
	if i, ok := d.idx[n]; ok {
		return i
	}
	d.idx[n] = len(d.names)
	d.names = append(d.names, n)
	d.out = append(d.out, map[int]bool{})
	return d.idx[n]
}

func (d *digraph) edge(from, to string) { d.out[d.node(from)][d.node(to)] = true }

func (d *digraph) has(from, to string) bool {
	i, ok1 := d.idx[from]
	j, ok2 := d.idx[to]
	return ok1 && ok2 && d.out[i][j]
}

// topo returns each node's rank in a deterministic topological order (ready
// nodes are taken in name order), or a cycle.
func (d *digraph) topo() (map[string]int, []string) {
	n := len(d.names)
	indeg := make([]int, n)
	for _, outs := range d.out {
		for j := range outs {
			indeg[j]++
		}
	}
	ready := &nameHeap{names: d.names}
	for i := 0; i < n; i++ {
		if indeg[i] == 0 {
			ready.idx = append(ready.idx, i)
		}
	}
	heap.Init(ready)
	rank := make(map[string]int, n)
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		rank[d.names[i]] = len(rank)
		for j := range d.out[i] {
			indeg[j]--
			if indeg[j] == 0 {
				heap.Push(ready, j)
			}
		}
	}
	if len(rank) == n {
		return rank, nil
	}
	return nil, d.findCycle(rank)
}

// nameHeap is a min-heap of node indexes ordered by node name.
type nameHeap struct {
	names []string
	idx   []int
}

func (h *nameHeap) Len() int           { return len(h.idx) }
func (h *nameHeap) Less(a, b int) bool { return h.names[h.idx[a]] < h.names[h.idx[b]] }
func (h *nameHeap) Swap(a, b int)      { h.idx[a], h.idx[b] = h.idx[b], h.idx[a] }
func (h *nameHeap) Push(x any)         { h.idx = append(h.idx, x.(int)) }
func (h *nameHeap) Pop() any {
	last := h.idx[len(h.idx)-1]
	h.idx = h.idx[:len(h.idx)-1]
	return last
}

func (d *digraph) findCycle(done map[string]int) []string {
	state := make([]int, len(d.names)) // 0 new, 1 on stack, 2 finished
	var stack []int
	var cycle []string
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = 1
		stack = append(stack, i)
		outs := make([]int, 0, len(d.out[i]))
		for j := range d.out[i] {
			outs = append(outs, j)
		}
		sort.Ints(outs)
		for _, j := range outs {
			if _, ok := done[d.names[j]]; ok {
				continue
			}
			if state[j] == 1 {
				for k := len(stack) - 1; k >= 0; k-- {
					if stack[k] == j {
						for _, s := range stack[k:] {
							cycle = append(cycle, d.names[s])
						}
						cycle = append(cycle, d.names[j])
						return true
					}
				}
			}
			if state[j] == 0 && visit(j) {
				return true
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = 2
		return false
	}
	names := append([]string(nil), d.names...)
	sort.Strings(names)
	for _, nm := range names {
		i := d.idx[nm]
		if _, ok := done[nm]; !ok && state[i] == 0 && visit(i) {
			return cycle
		}
	}
	return []string{"(unknown)"}
}
