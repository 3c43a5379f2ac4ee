// Package scribe compiles a flattened manifest into the files lychd inscribes:
// Podman Quadlet units (lychd.pod and one .container per rune) and the
// systemd targets that enforce the Law of Exclusivity.
//
// # What is generated
//
//   - lychd.pod: the Sepulcher. It carries UserNS= and every PublishPort=
//     (Quadlet accepts them on member containers, but podman run then fails),
//     and --exit-policy=continue, so that the pod and its ports stay up while
//     a swap has stopped every member. It is wanted by default.target.
//   - lychd-NAME.container for core runes: always-on members of the pod.
//   - lychd-soulstone-NAME.container for soulstones: StartWithPod=false (a pod
//     would otherwise start mutually exclusive members together), devices as
//     AddDevice=, Restart=always.
//   - lychd-coven-NAME.target for covens of two or more members: the master
//     switch. It wants its members; members are PartOf= it.
//   - lychd-hold-COVENS.target for every presence group of two or more
//     soulstones: a "class" is the soulstones with exactly the same covens,
//     and classes with exactly the same enemies form one group. The hold is
//     active exactly while one of them runs (members require it, it stops
//     when unneeded, it has no start rate limit), and it is the unit that
//     carries the group's enmity.
//
// # How exclusivity is enforced
//
// Compatibility depends only on a soulstone's set of covens, so enmity is
// written between groups: for every hostile pair of groups, the later one
// (in a topological order that respects every after= the user wrote) gets
// Conflicts= and After= on the earlier one's presence unit (its hold target,
// or the service itself for a group of one). Starting any member pulls its
// group's hold, whose conflict stops the enemy hold; Requires= propagates that
// stop to every running enemy, and the ordering chain
// enemy stop -> enemy hold stop -> own hold start -> member start guarantees
// that no two incompatible containers ever overlap, whether the user starts a
// coven target, one service by hand, the pod or default.target. A presence
// unit is always active while its members run, so the stop job that carries
// the ordering is never dropped as redundant (an inactive coven target would
// be, which is why coven targets do not carry the ordering).
//
// Coven targets carry no Conflicts=: when an enemy displaces some or all of
// a coven, its target stays active (the switch is still on), and starting it
// again brings the displaced members back (systemd re-queues the missing
// wants of an active target; proven on the booted systemd). `lychd status`
// reports a coven as running from its members. Leaving these edges out keeps
// every transaction smaller: with them, every start also stopped every
// hostile coven target and propagated that stop to its members once more.
// A soulstone in two covens is never stopped by a coven it is allied with.
//
// The number of dependency edges is linear in runes plus quadratic in
// groups (at most the distinct coven sets), never quadratic in runes.
//
// User dependencies (after=, wants=, requires=) are passed through; wants=
// and requires= may only name units that can run with the rune, and a
// requires= chain that pulls in two units that can never run together is
// refused, since systemd refuses every start of such a rune; so are the
// chains of a coven's members that cannot all run together, since the
// coven's target would start only some of them.
package scribe

import (
	"errors"
	"fmt"
	"sort"

	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/unitname"
)

// File is one generated file.
type File struct {
	// Name is the file's base name, e.g. "lychd.pod".
	Name string
	Data []byte
}

// Output is the complete set of generated files.
type Output struct {
	// Quadlet files belong in the Quadlet unit directory.
	Quadlet []File
	// Systemd files (.target) belong in the systemd user unit directory.
	Systemd []File
	// Graph is the compatibility relation the files enforce.
	Graph *covenant.Graph
	// Holds maps every hold target to the soulstones it holds, sorted.
	Holds map[string][]string
}

// Compile checks the manifest across all its sources and renders every file.
// On any problem it returns an Errors listing all of them.
func Compile(m *model.Manifest) (*Output, error) {
	// The limits first: past them, nothing else is worth computing.
	if errs := checkLimits(m); len(errs) > 0 {
		return nil, errs
	}
	var errs Errors
	errs = append(errs, checkNames(m)...)
	g, err := covenant.Build(m.Runes, m.Alliances)
	if err != nil {
		errs = append(errs, err)
		return nil, errs
	}
	errs = append(errs, checkPorts(m, g)...)
	l, lerrs := buildLayout(m, g)
	errs = append(errs, lerrs...)
	errs = append(errs, checkUnits(m, g, l.groups)...)
	if len(errs) > 0 {
		return nil, errs
	}
	out := &Output{Graph: g, Holds: map[string][]string{}}
	var rerr error
	add := func(dst *[]File, name string, data []byte, err error) {
		if err != nil {
			rerr = errors.Join(rerr, fmt.Errorf("%s: %w", name, err))
			return
		}
		*dst = append(*dst, File{Name: name, Data: data})
	}
	data, err := renderPod(m)
	add(&out.Quadlet, unitname.PodFile, data, err)
	for _, r := range m.SortedRunes() {
		data, err := renderContainer(&r, l.units[r.ServiceName()], receivedSecrets(m, &r))
		if err != nil {
			err = fmt.Errorf("%s: rune %q cannot be written safely: %w", r.Source, r.Name, err)
		}
		add(&out.Quadlet, r.ContainerFile(), data, err)
	}
	for _, c := range g.Covens() {
		if c.HasTarget {
			data, err := renderCovenTarget(c, l.units[c.TargetName()])
			add(&out.Systemd, c.TargetName(), data, err)
		}
	}
	for _, gr := range l.groups {
		if gr.hold != "" {
			data, err := renderHold(gr, l.units[gr.hold])
			add(&out.Systemd, gr.hold, data, err)
			out.Holds[gr.hold] = append([]string(nil), gr.members...)
		}
	}
	if rerr != nil {
		return nil, rerr
	}
	sort.Slice(out.Quadlet, func(i, j int) bool { return out.Quadlet[i].Name < out.Quadlet[j].Name })
	sort.Slice(out.Systemd, func(i, j int) bool { return out.Systemd[i].Name < out.Systemd[j].Name })
	return out, nil
}
