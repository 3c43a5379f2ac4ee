package scribe

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/model"
)

// PodService is the service Quadlet generates for lychd.pod.
const PodService = "lychd-pod.service"

// deps are the [Unit] dependency lists lychd writes for one unit.
type deps struct {
	Wants, Requires, After, PartOf, Conflicts []string
}

// layout is the compiled dependency graph: what every unit depends on.
type layout struct {
	graph *covenant.Graph
	// holds maps a class index to its hold target (classes of two or more
	// members only).
	holds map[int]string
	// presence maps a class index to the unit that is active exactly while a
	// member of the class runs: its hold target, or its only member's service.
	presence map[int]string
	// units maps a unit name to its dependencies.
	units map[string]*deps
}

// holdName names the hold target of a class. Coven names never contain '_',
// so joining with '_' is unambiguous; very long names are hashed.
func holdName(cl *covenant.Class) string {
	key := strings.Join(cl.Covens, "_")
	if len(key) > 180 {
		sum := sha256.Sum256([]byte(strings.Join(cl.Covens, "\x00")))
		key = cl.Covens[0] + "_" + hex.EncodeToString(sum[:8])
	}
	return "lychd-hold-" + key + ".target"
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
	l := &layout{graph: g, holds: map[int]string{}, presence: map[int]string{}, units: map[string]*deps{}}
	var errs Errors

	runes := m.SortedRunes()
	byService := map[string]*model.Rune{}
	for i := range runes {
		byService[runes[i].ServiceName()] = &runes[i]
	}
	for _, cl := range g.Classes() {
		if len(cl.Members) >= 2 {
			l.holds[cl.Index] = holdName(cl)
			l.presence[cl.Index] = l.holds[cl.Index]
		} else {
			l.presence[cl.Index] = "lychd-soulstone-" + cl.Members[0] + ".service"
		}
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
	for _, h := range l.holds {
		order.node(h)
	}

	for i := range runes {
		r := &runes[i]
		svc := r.ServiceName()
		d := l.unit(svc)
		if r.Kind == model.KindSoulstone {
			cl := g.ClassOf(r.Name)
			if h, ok := l.holds[cl.Index]; ok {
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
				if !strings.HasPrefix(u, "lychd-") {
					keep = append(keep, u)
					continue
				}
				dep, isRune := byService[u]
				c, isTarget := targets[u]
				switch {
				case u == PodService:
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
		for _, u := range after {
			if strings.HasPrefix(u, "lychd-") {
				order.edge(u, svc)
			}
		}
	}

	// Coven targets want their members; systemd orders a target after the
	// units it wants unless the member is ordered after the target.
	for _, c := range g.Covens() {
		if !c.HasTarget {
			continue
		}
		t := c.TargetName()
		d := l.unit(t)
		for _, mem := range c.Members {
			svc := "lychd-soulstone-" + mem + ".service"
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

	// Enmity between classes, expressed once per hostile pair on the unit
	// that comes later in the order, with an ordering edge so that the stop
	// of one always completes before the start of the other.
	classes := g.Classes()
	for i := range classes {
		for j := i + 1; j < len(classes); j++ {
			if !g.HostileClasses(i, j) {
				continue
			}
			a, b := l.presence[i], l.presence[j]
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
	best, bestD := "", 4
	for _, n := range names {
		if d := editDistance(u, n); d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	if best != "" {
		return fmt.Sprintf("did you mean %s?", best)
	}
	return "no such soulstone or coven"
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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

// topo returns each node's rank in a deterministic topological order, or a
// cycle.
func (d *digraph) topo() (map[string]int, []string) {
	n := len(d.names)
	indeg := make([]int, n)
	for _, outs := range d.out {
		for j := range outs {
			indeg[j]++
		}
	}
	// Ready nodes are processed in name order for determinism.
	var ready []int
	for i := 0; i < n; i++ {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	rank := make(map[string]int, n)
	byName := func(s []int) {
		sort.Slice(s, func(a, b int) bool { return d.names[s[a]] < d.names[s[b]] })
	}
	byName(ready)
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		rank[d.names[i]] = len(rank)
		var next []int
		for j := range d.out[i] {
			indeg[j]--
			if indeg[j] == 0 {
				next = append(next, j)
			}
		}
		if len(next) > 0 {
			ready = append(ready, next...)
			byName(ready)
		}
	}
	if len(rank) == n {
		return rank, nil
	}
	return nil, d.findCycle(rank)
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
