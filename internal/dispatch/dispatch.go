// Package dispatch answers the Dispatcher's question: which Animators serve
// an intent (a capability and a set of tags), and which smallest set of them
// should be used.
//
// Selection ("nuanced provisioning", spec section 2): among the Animators
// with the requested capability, choose the fewest that together cover every
// requested tag; among equally small covers prefer the one that needs the
// fewest soulstones started (running soulstones and portals need none), then
// the one with the fewest soulstones at all (a portal needs no container),
// then names in order. The soulstones of a cover must be allowed to run at the
// same time (their covens must be compatible), otherwise the cover is
// rejected. One multi-tag rune therefore always beats several single-tag ones.
package dispatch

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lychd/lychd/internal/model"
)

// Candidate is an Animator with its current state.
type Candidate struct {
	model.Animator
	// Running is true when its rune's service is active (always false for
	// portals, which need no container).
	Running bool
}

// Query selects Animators.
type Query struct {
	// Capability filters by capability; empty matches all.
	Capability string
	// Tags must all be present on a listed Animator (for List), or covered
	// together (for Pick).
	Tags []string
}

// Compatible reports whether two soulstones (rune names) may run together.
type Compatible func(a, b string) bool

// List returns the Animators with the capability that carry every tag,
// sorted by name.
func List(cands []Candidate, q Query) []Candidate {
	var out []Candidate
	for _, c := range cands {
		if q.Capability != "" && !has(c.Capabilities, q.Capability) {
			continue
		}
		ok := true
		for _, t := range q.Tags {
			if !has(c.Tags, t) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Choice is the result of Pick.
type Choice struct {
	Picked []Candidate
	// ToStart are the soulstones of Picked that are not running.
	ToStart []string
	// Reason explains the choice in one sentence.
	Reason string
	// Alternatives are other covers considered, best first (at most 3).
	Alternatives [][]string
}

// Pick chooses the smallest compatible set of Animators with the capability
// that covers every tag of q.
func Pick(cands []Candidate, q Query, compatible Compatible) (*Choice, error) {
	if len(q.Tags) == 0 && q.Capability == "" {
		return nil, fmt.Errorf("pick needs a capability or at least one tag (e.g. --capability OpenAIChatCompletions --tag vision)")
	}
	var pool []Candidate
	for _, c := range cands {
		if q.Capability != "" && !has(c.Capabilities, q.Capability) {
			continue
		}
		if len(q.Tags) > 0 && !anyOf(c.Tags, q.Tags) {
			continue
		}
		pool = append(pool, c)
	}
	sort.Slice(pool, func(i, j int) bool { return pool[i].Name < pool[j].Name })
	if len(pool) == 0 {
		return nil, fmt.Errorf("no animator has %s", describe(q))
	}
	need := len(q.Tags)
	if need == 0 {
		need = 1
	}
	type cover struct {
		idx             []int
		toStart, stones int
	}
	var covers []cover
	for size := 1; size <= need && len(covers) == 0; size++ {
		combos(len(pool), size, func(idx []int) {
			if !covering(pool, idx, q.Tags) {
				return
			}
			toStart, stones := 0, 0
			for i, a := range idx {
				c := pool[a]
				if c.Kind == model.AnimatorSoulstone {
					stones++
					if !c.Running {
						toStart++
					}
				}
				for _, b := range idx[i+1:] {
					d := pool[b]
					if c.Kind == model.AnimatorSoulstone && d.Kind == model.AnimatorSoulstone && c.Rune != d.Rune && !compatible(c.Rune, d.Rune) {
						return
					}
				}
			}
			covers = append(covers, cover{idx: append([]int(nil), idx...), toStart: toStart, stones: stones})
		})
	}
	if len(covers) == 0 {
		return nil, fmt.Errorf("no set of animators that may run together covers %s", describe(q))
	}
	sort.SliceStable(covers, func(i, j int) bool {
		if covers[i].toStart != covers[j].toStart {
			return covers[i].toStart < covers[j].toStart
		}
		return covers[i].stones < covers[j].stones
	})
	best := covers[0]
	ch := &Choice{}
	for _, i := range best.idx {
		c := pool[i]
		ch.Picked = append(ch.Picked, c)
		if c.Kind == model.AnimatorSoulstone && !c.Running {
			ch.ToStart = append(ch.ToStart, c.Rune)
		}
	}
	for _, c := range covers[1:] {
		if len(ch.Alternatives) == 3 {
			break
		}
		var names []string
		for _, i := range c.idx {
			names = append(names, pool[i].Name)
		}
		ch.Alternatives = append(ch.Alternatives, names)
	}
	ch.Reason = reason(ch, len(covers), q)
	return ch, nil
}

func reason(ch *Choice, n int, q Query) string {
	names := make([]string, len(ch.Picked))
	for i, c := range ch.Picked {
		names[i] = c.Name
	}
	var b strings.Builder
	if len(ch.Picked) == 1 {
		fmt.Fprintf(&b, "%s alone covers %s", names[0], describe(q))
	} else {
		fmt.Fprintf(&b, "no single animator covers %s; %s together do with %d", describe(q), strings.Join(names, " + "), len(names))
	}
	switch {
	case len(ch.ToStart) == 0:
		b.WriteString(", and nothing needs to start")
	default:
		fmt.Fprintf(&b, "; it needs %s started", strings.Join(ch.ToStart, ", "))
	}
	if n > 1 {
		fmt.Fprintf(&b, " (best of %d covers of that size: fewest containers to start, then fewest containers)", n)
	}
	return b.String()
}

func describe(q Query) string {
	var parts []string
	if q.Capability != "" {
		parts = append(parts, "capability "+q.Capability)
	}
	if len(q.Tags) > 0 {
		parts = append(parts, "tags "+strings.Join(q.Tags, "+"))
	}
	return strings.Join(parts, " and ")
}

func covering(pool []Candidate, idx []int, tags []string) bool {
	for _, t := range tags {
		found := false
		for _, i := range idx {
			if has(pool[i].Tags, t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	// Every member must contribute (no passengers).
	if len(idx) > 1 {
		for _, i := range idx {
			if !anyOf(pool[i].Tags, tags) {
				return false
			}
		}
	}
	return true
}

// combos calls fn with every k-subset of 0..n-1 in lexicographic order.
func combos(n, k int, fn func([]int)) {
	if k > n {
		return
	}
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i
	}
	for {
		fn(idx)
		i := k - 1
		for i >= 0 && idx[i] == n-k+i {
			i--
		}
		if i < 0 {
			return
		}
		idx[i]++
		for j := i + 1; j < k; j++ {
			idx[j] = idx[j-1] + 1
		}
	}
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func anyOf(list, want []string) bool {
	for _, w := range want {
		if has(list, w) {
			return true
		}
	}
	return false
}
