package scribe

import (
	"fmt"
	"sort"
	"strings"
)

// sim is a model of how systemd turns a start request into jobs, written from
// systemd's documented semantics and transaction code: Wants=/Requires= pull
// starts, Conflicts= (in both directions) pulls stops, PartOf= and Requires=
// propagate stops, jobs for units already in the requested state are dropped
// as redundant, StopWhenUnneeded= stops targets nobody wants, and jobs are
// ordered by After=/Before= (including the After= a target implicitly gets on
// what it wants, unless that unit is ordered after the target); between a
// stop and a start the stop always goes first, whatever the direction.
//
// It is a test oracle for the generated graph; the booted-systemd e2e tests
// check the same properties against the real thing.
type sim struct {
	units    map[string]*simUnit
	active   map[string]bool
	lastJobs []job
	lastSucc [][]int
}

type simUnit struct {
	name                                   string
	wants, requires, partOf, after, before []string
	conflicts                              []string
	stopWhenUnneeded                       bool
	// Derived inverse edges.
	conflictedBy, consistsOf, requiredBy, wantedBy []string
}

// newSim builds the model from unit name -> key -> values (space-split).
func newSim(files map[string]map[string][]string) *sim {
	s := &sim{units: map[string]*simUnit{}, active: map[string]bool{}}
	get := func(n string) *simUnit {
		u := s.units[n]
		if u == nil {
			u = &simUnit{name: n}
			s.units[n] = u
		}
		return u
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		kv := files[n]
		u := get(n)
		u.wants = append(u.wants, kv["Wants"]...)
		u.requires = append(u.requires, kv["Requires"]...)
		u.partOf = append(u.partOf, kv["PartOf"]...)
		u.after = append(u.after, kv["After"]...)
		u.before = append(u.before, kv["Before"]...)
		u.conflicts = append(u.conflicts, kv["Conflicts"]...)
		u.stopWhenUnneeded = len(kv["StopWhenUnneeded"]) > 0 && kv["StopWhenUnneeded"][0] == "yes"
	}
	for _, n := range names {
		u := s.units[n]
		for _, c := range u.conflicts {
			get(c).conflictedBy = append(get(c).conflictedBy, n)
		}
		for _, p := range u.partOf {
			get(p).consistsOf = append(get(p).consistsOf, n)
		}
		for _, r := range u.requires {
			get(r).requiredBy = append(get(r).requiredBy, n)
		}
		for _, w := range u.wants {
			get(w).wantedBy = append(get(w).wantedBy, n)
		}
	}
	// Implicit: a target is ordered after what it wants/requires unless
	// that unit is ordered after the target.
	for _, n := range names {
		if !strings.HasSuffix(n, ".target") {
			continue
		}
		t := s.units[n]
		for _, w := range append(append([]string(nil), t.wants...), t.requires...) {
			if !s.orderedBefore(n, w) {
				t.after = append(t.after, w)
			}
		}
	}
	return s
}

// orderedBefore reports a direct ordering edge "a before b".
func (s *sim) orderedBefore(a, b string) bool {
	ua, ub := s.units[a], s.units[b]
	if ua != nil && contains(ua.before, b) {
		return true
	}
	return ub != nil && contains(ub.after, a)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

type job struct {
	unit  string
	start bool
}

// start runs "systemctl start name" and returns the jobs that ran, or an
// error for a destructive transaction (a unit both started and stopped).
func (s *sim) start(name string) ([]job, error) {
	starts := map[string]bool{}
	stops := map[string]bool{}
	var addStart, addStop func(n string)
	addStart = func(n string) {
		if starts[n] {
			return
		}
		starts[n] = true
		u := s.units[n]
		if u == nil {
			return
		}
		for _, w := range u.wants {
			addStart(w)
		}
		for _, r := range u.requires {
			addStart(r)
		}
		for _, c := range u.conflicts {
			addStop(c)
		}
		for _, c := range u.conflictedBy {
			addStop(c)
		}
	}
	addStop = func(n string) {
		if stops[n] {
			return
		}
		stops[n] = true
		u := s.units[n]
		if u == nil {
			return
		}
		for _, p := range u.consistsOf {
			addStop(p)
		}
		for _, r := range u.requiredBy {
			addStop(r)
		}
	}
	addStart(name)
	for n := range starts {
		if stops[n] {
			return nil, fmt.Errorf("transaction for %s is destructive: %s would be started and stopped", name, n)
		}
	}
	// Drop redundant jobs.
	var jobs []job
	for n := range starts {
		if !s.active[n] {
			jobs = append(jobs, job{n, true})
		}
	}
	for n := range stops {
		if s.active[n] {
			jobs = append(jobs, job{n, false})
		}
	}
	order, err := s.orderJobs(jobs)
	if err != nil {
		return nil, err
	}
	for _, j := range order {
		s.active[j.unit] = j.start
	}
	// StopWhenUnneeded: stop targets no active unit wants or requires.
	for changed := true; changed; {
		changed = false
		for n, u := range s.units {
			if !u.stopWhenUnneeded || !s.active[n] {
				continue
			}
			needed := false
			for _, w := range append(append([]string(nil), u.wantedBy...), u.requiredBy...) {
				if s.active[w] {
					needed = true
				}
			}
			if !needed {
				s.active[n] = false
				order = append(order, job{n, false})
				changed = true
			}
		}
	}
	return order, nil
}

// orderJobs sorts jobs topologically by the ordering rules and records, for
// later checks, which job waits for which.
func (s *sim) orderJobs(jobs []job) ([]job, error) {
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].unit != jobs[j].unit {
			return jobs[i].unit < jobs[j].unit
		}
		return jobs[i].start
	})
	n := len(jobs)
	succ := make([][]int, n)
	indeg := make([]int, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			if i == j {
				continue
			}
			if s.jobBefore(jobs[i], jobs[j]) {
				succ[i] = append(succ[i], j)
				indeg[j]++
			}
		}
	}
	var out []job
	var ready []int
	for i := 0; i < n; i++ {
		if indeg[i] == 0 {
			ready = append(ready, i)
		}
	}
	for len(ready) > 0 {
		i := ready[0]
		ready = ready[1:]
		out = append(out, jobs[i])
		for _, j := range succ[i] {
			indeg[j]--
			if indeg[j] == 0 {
				ready = append(ready, j)
			}
		}
	}
	if len(out) != n {
		return nil, fmt.Errorf("ordering cycle among jobs %v", jobs)
	}
	s.lastJobs, s.lastSucc = jobs, succ
	return out, nil
}

// jobBefore reports whether job a must complete before job b starts.
func (s *sim) jobBefore(a, b job) bool {
	aBeforeB := s.orderedBefore(a.unit, b.unit)
	bBeforeA := s.orderedBefore(b.unit, a.unit)
	if !aBeforeB && !bBeforeA {
		return false
	}
	switch {
	case !a.start && b.start:
		return true // a stop always precedes a start
	case a.start && !b.start:
		return false
	case a.start && b.start:
		return aBeforeB
	default: // two stops run in reverse start order
		return bBeforeA
	}
}

// waitsFor reports whether, in the last transaction, job b could only start
// after job a completed (a path in the job order).
func (s *sim) waitsFor(a, b job) bool {
	idx := func(j job) int {
		for i, x := range s.lastJobs {
			if x == j {
				return i
			}
		}
		return -1
	}
	from, to := idx(a), idx(b)
	if from < 0 || to < 0 {
		return false
	}
	seen := map[int]bool{}
	var walk func(i int) bool
	walk = func(i int) bool {
		if i == to {
			return true
		}
		if seen[i] {
			return false
		}
		seen[i] = true
		for _, j := range s.lastSucc[i] {
			if walk(j) {
				return true
			}
		}
		return false
	}
	return walk(from)
}
