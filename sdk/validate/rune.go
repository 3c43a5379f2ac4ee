package validate

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Source is where a rune comes from; a few rules depend on it.
type Source int

const (
	// FromCodex is a soulstone of the user's Codex.
	FromCodex Source = iota
	// FromExtension is a rune an installed extension registers.
	FromExtension
	// FromCore is a rune of lychd's compiled-in core: its volumes may start
	// their paths with the %h specifier (the user's home), and it takes the
	// core's rune names.
	FromCore
)

// EnvVar is one environment variable of a rune.
type EnvVar struct {
	Name, Value string
}

// Rune is a rune as the rules see it, whatever its source: a soulstone of
// the Codex or a rune an extension (or the core) registers.
type Rune struct {
	Name string
	// AlwaysOn is true for an always-on member of the pod, false for a
	// soulstone.
	AlwaysOn    bool
	Description string
	Image       string
	Groups      []string
	After       []string
	Wants       []string
	Requires    []string
	Port        int
	ExposePort  bool
	HostPort    int
	Devices     []string
	Volumes     []string
	Environment []EnvVar
	Exec        []string
	// Secrets are Podman secrets in ParseSecret's form.
	Secrets []string
	// StartTimeout is 0 for systemd's default.
	StartTimeout time.Duration
	// OneShot is true for a one-shot member of the pod, which runs to
	// completion when a unit that requires it starts. AlwaysOn is true
	// too: it takes an always-on rune's unit name (lychd-NAME) and
	// belongs to no coven.
	OneShot bool
	// HealthCmd is the health check Podman runs inside the container, in
	// exec form (no shell); empty for none.
	HealthCmd []string
	// ShmSize is the /dev/shm size the rune needs (ShmSize), Memory its
	// memory limit (Memory); empty for none.
	ShmSize string
	Memory  string
}

// Fields of a rune, as Problem.Field names them: the keys of a soulstone
// in the Codex.
const (
	FieldName         = "name"
	FieldDescription  = "description"
	FieldImage        = "image"
	FieldGroups       = "groups"
	FieldAfter        = "after"
	FieldWants        = "wants"
	FieldRequires     = "requires"
	FieldPort         = "port"
	FieldExposePort   = "expose_port"
	FieldHostPort     = "host_port"
	FieldDevices      = "devices"
	FieldVolumes      = "volumes"
	FieldEnvironment  = "environment"
	FieldExec         = "exec"
	FieldStartTimeout = "start_timeout_seconds"
	FieldSecrets      = "secrets"
	FieldHealthCmd    = "health_cmd"
	FieldShmSize      = "shm_size"
	FieldMemory       = "memory"
)

// Problem is one rule a rune breaks.
type Problem struct {
	// Field is the field the problem is about (FieldImage, ...); "" for the
	// rune as a whole.
	Field string
	// Index is the entry of a list field the problem is about, -1 for none.
	Index int
	// Env is the environment variable a problem with FieldEnvironment is
	// about ("" for the environment as a whole).
	Env string
	// Other is the earlier entry of a list field that holds the same value
	// as Index, -1 for problems of another kind.
	Other int
	// Err says what is wrong and how to fix it.
	Err error
}

// Error renders the problem for callers that cannot point at the field
// themselves: "FIELD: ERR" for a list field ("devices: ..."), "host port:
// ERR", "environment NAME: ERR" for a variable's value, "environment: ERR"
// for a bad variable name, and ERR alone where ERR names its field itself
// (the rune as a whole, name, description, image, port, start timeout).
func (p Problem) Error() string {
	switch p.Field {
	case "", FieldName, FieldDescription, FieldImage, FieldPort, FieldExposePort, FieldStartTimeout, FieldShmSize, FieldMemory:
		return p.Err.Error()
	case FieldHostPort:
		return "host port: " + p.Err.Error()
	case FieldEnvironment:
		if p.Env != "" && EnvName(p.Env) == nil {
			return "environment " + p.Env + ": " + p.Err.Error()
		}
	}
	return p.Field + ": " + p.Err.Error()
}

// Unwrap returns the problem's error.
func (p Problem) Unwrap() error { return p.Err }

// Problems of a rune's ports that a caller may want to phrase in its own
// terms (the Codex names its keys).
var (
	ErrHostPortNotExposed = errors.New("a host port is set but the port is not exposed; expose the port to publish it on the host, or remove the host port")
	ErrNoPortToExpose     = errors.New("the port is exposed but none is declared; declare the port the container listens on")
	// ErrOneShotPort is the problem of a one-shot rune with a port, an
	// exposed port or a host port.
	ErrOneShotPort = errors.New("a one-shot rune serves nothing: it runs to completion and exits; remove its port, exposed port and host port")
	// ErrOneShotHealth is the problem of a one-shot rune with a health
	// check.
	ErrOneShotHealth = errors.New("a one-shot rune has no health check: it is done when its command exits (status 0); remove the health command")
)

// CheckRune applies every rule one rune must satisfy on its own and returns
// each problem: first the list sizes (MaxList, MaxCovensPerRune; a rune past
// one is not checked further), then in field order the name (valid; an always-on or one-shot rune's may not
// be taken for another unit of lychd's, see AlwaysOnName; only the core
// may use the core's names), values, list sizes, the ports (a
// host port needs an exposed port, an exposed port a port; a one-shot
// has neither, nor a health check), the sizes (ShmSize, Memory), the start
// timeout, and last, when nothing else is wrong, the rune's whole size
// (MaxRuneSize). Rules that need several runes are CheckSet's.
func CheckRune(r Rune, src Source) []Problem {
	var ps []Problem
	add := func(field string, index int, err error) {
		ps = append(ps, Problem{Field: field, Index: index, Other: -1, Err: err})
	}
	// List sizes first, so that nothing checks a million entries.
	for _, l := range []struct {
		field string
		n     int
	}{
		{FieldGroups, len(r.Groups)}, {FieldAfter, len(r.After)}, {FieldWants, len(r.Wants)},
		{FieldRequires, len(r.Requires)}, {FieldDevices, len(r.Devices)}, {FieldVolumes, len(r.Volumes)},
		{FieldEnvironment, len(r.Environment)}, {FieldExec, len(r.Exec)}, {FieldSecrets, len(r.Secrets)},
		{FieldHealthCmd, len(r.HealthCmd)},
	} {
		if l.n > MaxList {
			add(l.field, -1, fmt.Errorf("has %d entries; the limit is %d", l.n, MaxList))
		}
	}
	if len(r.Groups) > MaxCovensPerRune {
		add(FieldGroups, -1, fmt.Errorf("names %d covens; a soulstone may belong to at most %d", len(r.Groups), MaxCovensPerRune))
	}
	if len(ps) > 0 {
		return ps
	}
	if err := Name(r.Name); err != nil {
		add(FieldName, -1, err)
	} else if err := AlwaysOnName(r.Name); r.AlwaysOn && err != nil {
		add(FieldName, -1, err)
	} else if err := NotCoreRune(r.Name); src != FromCore && err != nil {
		add(FieldName, -1, err)
	}
	if r.Description != "" {
		if err := Description(r.Description); err != nil {
			add(FieldDescription, -1, err)
		}
	}
	if err := Image(r.Image); err != nil {
		add(FieldImage, -1, err)
	}
	switch {
	case r.OneShot && len(r.Groups) > 0:
		add(FieldGroups, -1, errors.New("a one-shot rune belongs to no coven: it runs when a unit that requires it starts; remove its groups"))
	case r.AlwaysOn && len(r.Groups) > 0:
		add(FieldGroups, -1, errors.New("an always-on rune belongs to no coven; remove its groups or make it a soulstone"))
	}
	volume := Volume
	if src == FromCore {
		// The core writes %h (the user's home) at the start of its paths.
		volume = func(s string) error { return Volume(strings.ReplaceAll(s, "%h/", "/home/")) }
	}
	for _, l := range []struct {
		field string
		vals  []string
		check func(string) error
		dups  bool
	}{
		{FieldGroups, r.Groups, CovenName, true},
		{FieldAfter, r.After, UnitName, true},
		{FieldWants, r.Wants, UnitName, true},
		{FieldRequires, r.Requires, UnitName, true},
		{FieldDevices, r.Devices, Device, true},
		{FieldVolumes, r.Volumes, volume, true},
		{FieldExec, r.Exec, ExecArg, false},
		{FieldSecrets, r.Secrets, Secret, true},
		{FieldHealthCmd, r.HealthCmd, ExecArg, false},
	} {
		ps = append(ps, checkList(l.field, l.vals, l.check, l.dups)...)
	}
	if r.Port != 0 {
		if err := Port(r.Port); err != nil {
			add(FieldPort, -1, err)
		}
	}
	if r.HostPort != 0 {
		if err := Port(r.HostPort); err != nil {
			add(FieldHostPort, -1, err)
		}
	}
	if r.ShmSize != "" {
		if err := ShmSize(r.ShmSize); err != nil {
			add(FieldShmSize, -1, err)
		}
	}
	if r.Memory != "" {
		if err := Memory(r.Memory); err != nil {
			add(FieldMemory, -1, err)
		}
	}
	if r.OneShot {
		// A one-shot serves nothing and is done when its command exits.
		if r.Port != 0 || r.ExposePort || r.HostPort != 0 {
			add(FieldPort, -1, ErrOneShotPort)
		}
		if len(r.HealthCmd) > 0 {
			add(FieldHealthCmd, -1, ErrOneShotHealth)
		}
	}
	switch {
	case r.OneShot:
	case r.HostPort != 0 && !r.ExposePort:
		add(FieldHostPort, -1, ErrHostPortNotExposed)
	case r.ExposePort && r.Port == 0:
		add(FieldExposePort, -1, ErrNoPortToExpose)
	}
	seen := map[string]bool{}
	for _, e := range r.Environment {
		if err := EnvName(e.Name); err != nil {
			ps = append(ps, Problem{Field: FieldEnvironment, Index: -1, Other: -1, Env: e.Name, Err: err})
			continue
		}
		if seen[e.Name] {
			ps = append(ps, Problem{Field: FieldEnvironment, Index: -1, Other: -1, Env: e.Name, Err: fmt.Errorf("variable %s is set twice; set it once", e.Name)})
			continue
		}
		seen[e.Name] = true
		if err := EnvValue(e.Value); err != nil {
			ps = append(ps, Problem{Field: FieldEnvironment, Index: -1, Other: -1, Env: e.Name, Err: err})
		}
	}
	if r.StartTimeout != 0 {
		if err := StartTimeout(r.StartTimeout); err != nil {
			add(FieldStartTimeout, -1, err)
		}
	}
	if n := RuneSize(r); len(ps) == 0 && n > MaxRuneSize {
		add("", -1, fmt.Errorf("the rune's text adds up to %d bytes (name, description, image, every list entry and environment variable); the limit is %d bytes: put long text in a file and mount it", n, MaxRuneSize))
	}
	return ps
}

// CovenName checks a coven name: a Name, reported as a coven's.
func CovenName(s string) error {
	if err := Name(s); err != nil {
		return fmt.Errorf("invalid coven name: %w", err)
	}
	return nil
}

// checkList checks every entry of a list field, and that none is listed
// twice when dups is set.
func checkList(field string, vals []string, check func(string) error, dups bool) []Problem {
	var ps []Problem
	seen := map[string]int{}
	for i, v := range vals {
		if err := check(v); err != nil {
			ps = append(ps, Problem{Field: field, Index: i, Other: -1, Err: err})
			continue
		}
		if !dups {
			continue
		}
		if j, dup := seen[v]; dup {
			ps = append(ps, Problem{Field: field, Index: i, Other: j, Err: ListedTwice(v)})
			continue
		}
		seen[v] = i
	}
	return ps
}

// ListedTwice is the problem of a list that holds v twice.
func ListedTwice(v string) error {
	return fmt.Errorf("%s is listed twice; list it once", quote(v))
}

// SetProblem is one rule a set of runes breaks together.
type SetProblem struct {
	// Rune is the index of the rune the problem is reported on, Other the
	// index of the rune it clashes with.
	Rune, Other int
	// Field is the field of Rune the problem is about.
	Field string
	Err   error
}

// Error renders the problem.
func (p SetProblem) Error() string { return p.Err.Error() }

// CheckSet applies the rules that one source's runes must satisfy
// together, whatever else runs beside them: each name once, no two runes
// that always run together on the same port (an always-on rune runs with
// everything, two soulstones that share a coven run together), no host
// port published twice. Runes are named as `rune "NAME"`; SharedPort and
// HostPortTwice give bind's wording with sources.
func CheckSet(runes []Rune) []SetProblem {
	var ps []SetProblem
	byName := map[string]int{}
	for i, r := range runes {
		if j, dup := byName[r.Name]; dup {
			ps = append(ps, SetProblem{Rune: i, Other: j, Field: FieldName, Err: RuneTwice(r.Name)})
			continue
		}
		byName[r.Name] = i
	}
	covens := func(r Rune) []string {
		if r.AlwaysOn {
			return nil
		}
		if len(r.Groups) == 0 {
			return []string{r.Name}
		}
		return r.Groups
	}
	together := func(a, b Rune) bool {
		if a.AlwaysOn || b.AlwaysOn {
			return true
		}
		for _, x := range covens(a) {
			for _, y := range covens(b) {
				if x == y {
					return true
				}
			}
		}
		return false
	}
	byPort := map[int][]int{}
	hostPorts := map[int]int{}
	var ports []int
	for i, r := range runes {
		if r.Port > 0 {
			if len(byPort[r.Port]) == 0 {
				ports = append(ports, r.Port)
			}
			byPort[r.Port] = append(byPort[r.Port], i)
		}
		if !r.ExposePort {
			continue
		}
		hp := r.HostPort
		if hp == 0 {
			hp = r.Port
		}
		if j, dup := hostPorts[hp]; dup {
			ps = append(ps, SetProblem{Rune: i, Other: j, Field: FieldHostPort, Err: HostPortTwice(hp, runeRef(runes[j].Name), runeRef(r.Name))})
			continue
		}
		hostPorts[hp] = i
	}
	sort.Ints(ports)
	for _, p := range ports {
		idx := byPort[p]
		for a := 0; a < len(idx); a++ {
			for b := a + 1; b < len(idx); b++ {
				ra, rb := runes[idx[a]], runes[idx[b]]
				if ra.Name != rb.Name && together(ra, rb) {
					ps = append(ps, SetProblem{Rune: idx[b], Other: idx[a], Field: FieldPort, Err: SharedPort(p, runeRef(ra.Name), runeRef(rb.Name))})
				}
			}
		}
	}
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Rune < ps[j].Rune })
	return ps
}

// RuneTwice is the problem of one source registering two runes called
// name.
func RuneTwice(name string) error {
	return fmt.Errorf("registered rune %s twice; give each rune its own name", quote(name))
}

func runeRef(name string) string { return "rune " + quote(name) }

// SharedPort is the problem of two runes, described as a and b (e.g.
// `rune "x"`, with their source when known), that declare the same port
// and can run at the same time.
func SharedPort(port int, a, b string) error {
	return fmt.Errorf("port %d is declared by %s and %s, which can run at the same time in the pod's shared network namespace; give one of them another port, or put them in covens that are not allied", port, a, b)
}

// HostPortTwice is the problem of a host port published by two runes or
// settings, described as a and b.
func HostPortTwice(port int, a, b string) error {
	return fmt.Errorf("host port %d is published twice: by %s and by %s; set a different host_port on one of them", port, a, b)
}
