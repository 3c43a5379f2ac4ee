package kube

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lychd/lychd/internal/unitname"

	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/model"
)

// Scale is the replica count of one soulstone's Deployment.
type Scale struct {
	Deployment string
	Replicas   int32
}

// Command returns the kubectl command that sets the count, e.g.
// "kubectl scale deployment/vllm --replicas=1"; namespace adds
// --namespace when not empty.
func (s Scale) Command(namespace string) string {
	cmd := fmt.Sprintf("kubectl scale deployment/%s --replicas=%d", s.Deployment, s.Replicas)
	if namespace != "" {
		cmd += " --namespace=" + namespace
	}
	return cmd
}

// ScaleCommands returns the kubectl commands of r.Scale, in order.
func (r *Result) ScaleCommands() []string {
	cmds := make([]string, len(r.Scale))
	for i, s := range r.Scale {
		cmds[i] = s.Command(r.namespace)
	}
	return cmds
}

// ScalePlan returns the replica counts that run coven on a cluster, as
// starting its master switch does on one host: its members, and the
// soulstones they want or require, go to 1; every exported soulstone hostile
// to one of them goes to 0, first, so that its GPUs are freed. Soulstones
// allied with them are left as they are, and get no entry. runes are all the
// manifest's runes; exported are the ones in the export, and only those get
// entries.
func ScalePlan(g *covenant.Graph, runes []model.Rune, exported []*model.Rune, coven string) ([]Scale, error) {
	cv := g.Coven(coven)
	if cv == nil {
		return nil, fmt.Errorf("--scale %s: no soulstone belongs to that coven (known covens: %s)", coven, knownCovens(g))
	}
	byName := map[string]*model.Rune{}
	for i := range runes {
		byName[runes[i].Name] = &runes[i]
	}
	inExport := map[string]bool{}
	for _, r := range exported {
		if r.Kind == model.KindSoulstone {
			inExport[r.Name] = true
		}
	}

	// The soulstones that start: the members, then what they pull in.
	start := map[string]bool{}
	queue := append([]string(nil), cv.Members...)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if start[name] {
			continue
		}
		start[name] = true
		r := byName[name]
		for _, unit := range append(append([]string(nil), r.Wants...), r.Requires...) {
			queue = append(queue, pulledIn(g, unit)...)
		}
	}
	names := sortedKeys(start)
	if a, b, hostile := g.ConflictingPair(names); hostile {
		return nil, fmt.Errorf("--scale %s: it would start both %q and %q, but %s", coven, a, b, g.WhyHostile(a, b))
	}
	var missing []string
	for _, name := range names {
		if !inExport[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("--scale %s: the coven runs %s, which the export leaves out; add %s to --coven", coven, quoteList(missing), plural("its coven", len(missing)))
	}

	var down, up []Scale
	for _, r := range exported {
		switch {
		case r.Kind != model.KindSoulstone:
		case start[r.Name]:
			up = append(up, Scale{Deployment: r.Name, Replicas: 1})
		case hostileToAny(g, r.Name, names):
			down = append(down, Scale{Deployment: r.Name, Replicas: 0})
		}
	}
	sort.Slice(down, func(i, j int) bool { return down[i].Deployment < down[j].Deployment })
	sort.Slice(up, func(i, j int) bool { return up[i].Deployment < up[j].Deployment })
	return append(down, up...), nil
}

// pulledIn returns the soulstones a Wants= or Requires= entry starts: the
// soulstone of a lychd-soulstone-NAME.service, or the members of a
// lychd-coven-NAME.target. Other units start no soulstone.
func pulledIn(g *covenant.Graph, unit string) []string {
	switch kind, name := unitname.Parse(unit); kind {
	case unitname.Soulstone:
		if g.IsSoulstone(name) {
			return []string{name}
		}
	case unitname.Coven:
		if cv := g.Coven(name); cv != nil {
			return cv.Members
		}
	}
	return nil
}

func hostileToAny(g *covenant.Graph, name string, others []string) bool {
	for _, o := range others {
		if !g.Compatible(name, o) {
			return true
		}
	}
	return false
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
