package scribe

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/unitname"
	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/validate"
)

// Errors is every problem found while flattening a manifest; its message
// lists them one per line.
type Errors []error

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// checkNames rejects a rune or Animator name defined by two sources.
func checkNames(m *model.Manifest) Errors {
	var errs Errors
	runes := map[string]*model.Rune{}
	for i := range m.Runes {
		r := &m.Runes[i]
		if prev, ok := runes[r.Name]; ok {
			errs = append(errs, fmt.Errorf("rune %q is defined twice: by %s and by %s; rename one of them", r.Name, prev.Source, r.Source))
			continue
		}
		runes[r.Name] = r
	}
	animators := map[string]*model.Animator{}
	for i := range m.Animators {
		a := &m.Animators[i]
		if prev, ok := animators[a.Name]; ok {
			errs = append(errs, fmt.Errorf("animator %q is registered twice: by %s and by %s; rename one of them", a.Name, prev.Source, a.Source))
			continue
		}
		animators[a.Name] = a
		if a.Kind == model.AnimatorSoulstone {
			r, ok := runes[a.Rune]
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("animator %q (%s) is manifested by rune %q, which no source defines; add the rune or make the animator a portal", a.Name, a.Source, a.Rune))
			case r.Kind != model.KindSoulstone:
				errs = append(errs, fmt.Errorf("animator %q (%s) is manifested by %q (%s), which is a core rune, not a soulstone", a.Name, a.Source, a.Rune, r.Source))
			}
		}
	}
	return errs
}

// checkLimits applies the limits of the whole Sepulcher (validate.Tally:
// runes, covens, coven memberships, published ports, total size) to the
// runes of every source together, naming the rune that passes each.
func checkLimits(m *model.Manifest) Errors {
	var errs Errors
	var t validate.Tally
	for _, err := range t.Publish(len(m.Pod.Publish)) {
		errs = append(errs, fmt.Errorf("lychd.toml: pod.publish: %w", err))
	}
	for i := range m.Runes {
		r := &m.Runes[i]
		for _, err := range t.Add(ruleRune(r)) {
			errs = append(errs, fmt.Errorf("%s: rune %q: %w", r.Source, r.Name, err))
		}
	}
	return errs
}

// ruleRune is r as the SDK's rules see it.
func ruleRune(r *model.Rune) validate.Rune {
	env := make([]validate.EnvVar, len(r.Environment))
	for i, e := range r.Environment {
		env[i] = validate.EnvVar{Name: e.Name, Value: e.Value}
	}
	return validate.Rune{
		Name: r.Name, AlwaysOn: r.Kind != model.KindSoulstone, OneShot: r.Kind == model.KindOneShot,
		Description: r.Description, Image: r.Image,
		Groups: r.Groups, After: r.After, Wants: r.Wants, Requires: r.Requires,
		Port: r.Port, ExposePort: r.ExposePort, HostPort: r.HostPort,
		Devices: r.Devices, Volumes: r.Volumes, Environment: env, Exec: r.Exec,
		StartTimeout: r.StartTimeout,
	}
}

// checkUnits rejects two things that would get the same unit, whatever
// their kinds (the pod, runes, coven targets, hold targets): Quadlet or
// systemd would silently keep one of them. The SDK's name rules make this
// impossible for valid names (validate.AlwaysOnName); this check keeps it
// true for any manifest.
func checkUnits(m *model.Manifest, g *covenant.Graph, groups []*group) Errors {
	var errs Errors
	owner := map[string]string{unitname.Pod: "the pod"}
	claim := func(unit, who, fix string) {
		if prev, dup := owner[unit]; dup {
			errs = append(errs, fmt.Errorf("%s and %s would both be unit %s; %s", who, prev, unit, fix))
			return
		}
		owner[unit] = who
	}
	named := map[string]bool{}
	for i := range m.Runes {
		r := &m.Runes[i]
		if named[r.Name] {
			continue // reported by checkNames
		}
		named[r.Name] = true
		who := fmt.Sprintf("rune %q (%s)", r.Name, r.Source)
		if prev, dup := owner[r.ServiceName()]; dup && prev != "the pod" {
			errs = append(errs, fmt.Errorf("%s and %s would both be unit %s; rename one of them", prev, who, r.ServiceName()))
			continue
		}
		claim(r.ServiceName(), who, "rename the rune")
	}
	for _, c := range g.Covens() {
		if c.HasTarget {
			claim(c.TargetName(), fmt.Sprintf("coven %q", c.Name), "rename the coven")
		}
	}
	for _, gr := range groups {
		if gr.hold != "" {
			claim(gr.hold, "the hold of covens "+gr.covens(), "rename one of its covens")
		}
	}
	return errs
}

// checkPorts rejects internal ports shared by runes that can run together
// (the pod has one network namespace) and host ports published twice.
func checkPorts(m *model.Manifest, g *covenant.Graph) Errors {
	var errs Errors
	byPort := map[int][]*model.Rune{}
	for i := range m.Runes {
		r := &m.Runes[i]
		if r.Port > 0 {
			byPort[r.Port] = append(byPort[r.Port], r)
		}
	}
	ports := make([]int, 0, len(byPort))
	for p := range byPort {
		ports = append(ports, p)
	}
	sort.Ints(ports)
	for _, p := range ports {
		rs := byPort[p]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
		// Group by class: two runes collide when their classes are compatible
		// (same class included). Checking class pairs keeps this near-linear.
		type group struct {
			first *model.Rune
			class *covenant.Class
			n     int
		}
		var groups []*group
		byClass := map[*covenant.Class]*group{}
		for _, r := range rs {
			cl := g.ClassOf(r.Name)
			if cl == nil { // core rune: runs with everything
				groups = append(groups, &group{first: r, n: 1})
				continue
			}
			if gr := byClass[cl]; gr != nil {
				gr.n++
				if gr.n == 2 {
					errs = append(errs, portError(p, gr.first, r))
				}
				continue
			}
			gr := &group{first: r, class: cl, n: 1}
			byClass[cl] = gr
			groups = append(groups, gr)
		}
		for i := 0; i < len(groups); i++ {
			for j := i + 1; j < len(groups); j++ {
				a, b := groups[i], groups[j]
				if a.class == nil || b.class == nil || !g.HostileClasses(a.class.Index, b.class.Index) {
					errs = append(errs, portError(p, a.first, b.first))
				}
			}
		}
	}

	// Host ports: every published port must be unique, whatever can run.
	type pub struct {
		who string
		src model.Source
	}
	hostPorts := map[int]pub{}
	for _, spec := range m.Pod.Publish {
		hp, ok := hostPortOf(spec)
		if !ok {
			continue
		}
		if prev, dup := hostPorts[hp]; dup {
			errs = append(errs, validate.HostPortTwice(hp, prev.who, "lychd.toml [pod] publish"))
			continue
		}
		hostPorts[hp] = pub{who: "lychd.toml [pod] publish", src: model.Source{Kind: model.SourceCodex, Name: "lychd.toml"}}
	}
	for _, r := range m.SortedRunes() {
		if !r.ExposePort {
			continue
		}
		hp := r.HostPort
		if hp == 0 {
			hp = r.Port
		}
		who := fmt.Sprintf("rune %q (%s)", r.Name, r.Source)
		if prev, dup := hostPorts[hp]; dup {
			errs = append(errs, validate.HostPortTwice(hp, prev.who, who))
			continue
		}
		hostPorts[hp] = pub{who: who, src: r.Source}
	}
	return errs
}

func portError(p int, a, b *model.Rune) error {
	return validate.SharedPort(p, fmt.Sprintf("rune %q (%s)", a.Name, a.Source), fmt.Sprintf("rune %q (%s)", b.Name, b.Source))
}

// hostPortOf extracts the host port of a PublishPort spec
// ([[IP:]HOST:]CONTAINER[/PROTO]).
func hostPortOf(spec string) (int, bool) {
	spec, _, _ = strings.Cut(spec, "/")
	parts := strings.Split(spec, ":")
	if len(parts) < 2 {
		return 0, false
	}
	p, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil {
		return 0, false
	}
	return p, true
}

// checkResources checks the resource and health keys of every rune,
// whatever its source, and the rule of resident soulstones: a resident
// runs beside every coven, so it may not share a device with a soulstone
// of a coven, which would then run on a device the resident holds.
func checkResources(m *model.Manifest) Errors {
	var errs Errors
	devices := map[string][]*model.Rune{} // device -> coven members naming it
	for i := range m.Runes {
		r := &m.Runes[i]
		who := fmt.Sprintf("%s: rune %q", r.Source, r.Name)
		if r.ShmSize != "" {
			if err := preset.ValidateShmSize(r.ShmSize); err != nil {
				errs = append(errs, fmt.Errorf("%s: shm_size: %w", who, err))
			}
		}
		if r.Memory != "" {
			if err := preset.ValidateMemory(r.Memory); err != nil {
				errs = append(errs, fmt.Errorf("%s: memory: %w", who, err))
			}
		}
		for j, a := range r.HealthCmd {
			if err := validate.ExecArg(a); err != nil {
				errs = append(errs, fmt.Errorf("%s: health_cmd[%d]: %w", who, j, err))
			}
		}
		if r.Kind == model.KindOneShot && len(r.HealthCmd) > 0 {
			errs = append(errs, fmt.Errorf("%s: health_cmd: %w", who, validate.ErrOneShotHealth))
		}
		if r.Resident && len(r.Groups) > 0 {
			errs = append(errs, fmt.Errorf("%s: resident with groups %s; a resident soulstone runs beside everything and belongs to no coven: remove groups or resident", who, strings.Join(r.Groups, ", ")))
		}
		if r.Kind == model.KindSoulstone && !r.Resident {
			for _, d := range r.Devices {
				devices[d] = append(devices[d], r)
			}
		}
	}
	for i := range m.Runes {
		r := &m.Runes[i]
		if !r.Resident {
			continue
		}
		for _, d := range r.Devices {
			for _, o := range devices[d] {
				errs = append(errs, fmt.Errorf("%s: resident soulstone %q names device %s, which soulstone %q (%s) of coven %s also names; a resident runs beside every coven, so give it a device of its own, or make it an ordinary soulstone (remove resident)",
					r.Source, r.Name, d, o.Name, o.Source, strings.Join(o.Covens(), ", ")))
			}
		}
	}
	return errs
}
