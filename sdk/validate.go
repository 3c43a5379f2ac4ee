package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/validate"
)

// Limits on what one extension may register, as lychd applies them.
const (
	// MaxRunes is the most runes one extension may add.
	MaxRunes = 1000
	// MaxAnimators is the most Animators one extension may register.
	MaxAnimators = 1000
	// MaxPresets is the most engine presets one extension may register.
	MaxPresets = 100
	// MaxField bounds every string field, in bytes: all of a rune's
	// text together may be at most this long (validate.MaxRuneSize).
	MaxField = validate.MaxRuneSize
	// MaxList bounds every list or map field, in entries.
	MaxList = validate.MaxList
	// MaxRegistration bounds the text of everything one extension
	// registers, in bytes.
	MaxRegistration = validate.MaxRegistrationSize
)

// ReservedName is the name of lychd's built-in extension; no installed
// extension may use it.
const ReservedName = "core"

// The Validate functions apply the rules lychd applies to everything an
// extension registers, with the same messages; plugintest uses them so that
// an extension that passes its tests is accepted by lychd. The value rules
// themselves are in package validate.

// ValidateInfo checks an extension's Info: a valid, unreserved name and
// one-line version and description.
func ValidateInfo(i Info) error {
	if err := validate.Name(i.Name); err != nil {
		return fmt.Errorf("the extension's name is invalid: %w", err)
	}
	if i.Name == ReservedName {
		return fmt.Errorf("the extension calls itself %q, which is reserved for lychd's built-in extension; rename it", i.Name)
	}
	if err := checkField("version", i.Version); err != nil {
		return err
	}
	if err := validate.Description(i.Version); err != nil {
		return fmt.Errorf("version: %w", err)
	}
	if err := checkField("description", i.Description); err != nil {
		return err
	}
	return validate.Description(i.Description)
}

// RuleRune returns r as the rules of package validate see it, with its
// environment sorted by name.
func RuleRune(r Rune) validate.Rune {
	env := make([]validate.EnvVar, 0, len(r.Environment))
	for k, v := range r.Environment {
		env = append(env, validate.EnvVar{Name: k, Value: v})
	}
	sort.Slice(env, func(i, j int) bool { return env[i].Name < env[j].Name })
	return validate.Rune{
		Name: r.Name, AlwaysOn: r.Kind == AlwaysOn || r.Kind == OneShot, OneShot: r.Kind == OneShot,
		Description: r.Description, Image: r.Image,
		Groups: r.Groups, After: r.After, Wants: r.Wants, Requires: r.Requires,
		Port: r.Port, ExposePort: r.ExposePort, HostPort: r.HostPort,
		Devices: r.Devices, Volumes: r.Volumes, Environment: env, Exec: r.Exec,
		Secrets: r.Secrets, StartTimeout: r.StartTimeout,
		HealthCmd: r.HealthCmd, ShmSize: r.ShmSize, Memory: r.Memory,
	}
}

// ValidateRune checks one rune an extension registers, on its own, with
// validate.CheckRune; ValidateSet checks a whole registration. The error
// names the rune and its first problem.
func ValidateRune(r Rune) error { return ValidateRuneFrom(r, validate.FromExtension) }

// ValidateRuneFrom is ValidateRune for a rune from src: lychd checks the
// runes of its compiled-in core with validate.FromCore.
func ValidateRuneFrom(r Rune, src validate.Source) error {
	if err := checkField("rune name", r.Name); err != nil {
		return err
	}
	for _, f := range []struct{ what, v string }{{"shm size", r.ShmSize}, {"memory", r.Memory}} {
		if err := checkField(f.what, f.v); err != nil {
			return fmt.Errorf("rune %s: %w", quote(r.Name), err)
		}
	}
	// The environment is a map, sorted when converted: bound it first.
	if err := checkList("environment", len(r.Environment)); err != nil {
		return fmt.Errorf("rune %s: %w", quote(r.Name), err)
	}
	if r.Kind != Soulstone && r.Kind != AlwaysOn && r.Kind != OneShot {
		return fmt.Errorf("rune %s: unknown kind %d; use sdk.Soulstone, sdk.AlwaysOn or sdk.OneShot", quote(r.Name), int(r.Kind))
	}
	ps := validate.CheckRune(RuleRune(r), src)
	if len(ps) == 0 {
		return nil
	}
	if ps[0].Field == validate.FieldName {
		return fmt.Errorf("registered a rune with an invalid name: %w", ps[0].Err)
	}
	return fmt.Errorf("rune %s: %w", quote(r.Name), ps[0])
}

// ValidateAnimator checks one Animator on its own. The error names it.
func ValidateAnimator(a Animator) error {
	if err := checkField("Animator name", a.Name); err != nil {
		return err
	}
	if err := validate.Name(a.Name); err != nil {
		return fmt.Errorf("registered an Animator with an invalid name: %w", err)
	}
	if err := validateAnimator(a); err != nil {
		return fmt.Errorf("Animator %s: %w", quote(a.Name), err)
	}
	return nil
}

func validateAnimator(a Animator) error {
	switch a.Kind {
	case AnimatorSoulstone:
		if a.URL != "" {
			return errors.New("a soulstone Animator has no URL; remove it or make the Animator a portal")
		}
		if len(a.Secrets) > 0 {
			return errors.New("a soulstone Animator has no secrets; name them in its rune's Secrets")
		}
		rn := RuneFor(a)
		if err := checkField("rune", rn); err != nil {
			return err
		}
		if err := validate.Name(rn); err != nil {
			return fmt.Errorf("rune: %w", err)
		}
	case AnimatorPortal:
		if a.Rune != "" {
			return fmt.Errorf("a portal is served by a remote URL, not by rune %s; remove the rune or make the Animator a soulstone", quote(a.Rune))
		}
		if err := checkField("URL", a.URL); err != nil {
			return err
		}
		if err := validate.URL(a.URL); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown kind %d; use sdk.AnimatorSoulstone or sdk.AnimatorPortal", int(a.Kind))
	}
	if err := each("capabilities", a.Capabilities, validate.Capability); err != nil {
		return err
	}
	if err := each("secrets", a.Secrets, validate.SecretName); err != nil {
		return err
	}
	return each("tags", a.Tags, validate.Tag)
}

// RuneFor returns the name of the rune that manifests a soulstone Animator:
// its Rune, or its own name when Rune is empty. It is empty for portals.
func RuneFor(a Animator) string {
	if a.Kind != AnimatorSoulstone {
		return ""
	}
	if a.Rune != "" {
		return a.Rune
	}
	return a.Name
}

// TooManyRunes is the problem of an extension registering more than
// MaxRunes runes.
func TooManyRunes() error {
	return fmt.Errorf("registered more than %d runes; an extension may register at most %d", MaxRunes, MaxRunes)
}

// TooManyAnimators is the problem of an extension registering more than
// MaxAnimators Animators.
func TooManyAnimators() error {
	return fmt.Errorf("registered more than %d Animators; an extension may register at most %d", MaxAnimators, MaxAnimators)
}

// AnimatorTwice is the problem of an extension registering two Animators
// called name.
func AnimatorTwice(name string) error {
	return fmt.Errorf("registered Animator %s twice; give each Animator its own name", quote(name))
}

// ValidateSet checks everything one extension registered: each rune and
// Animator, the limits, the rules the runes must satisfy together
// (validate.CheckSet: no name twice, no two runes that always run together
// on one port, no host port twice), and every soulstone Animator served by
// a rune of the same registration. All problems are returned, joined, in
// registration order.
func ValidateSet(runes []Rune, animators []Animator) error {
	return ValidateSetFrom(runes, animators, validate.FromExtension)
}

// ValidateSetFrom is ValidateSet for the registration of src.
func ValidateSetFrom(runes []Rune, animators []Animator, src validate.Source) error {
	g := NewRegistration(src)
	var errs []error
	for _, r := range runes {
		if err := g.check(r); err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range animators {
		if err := g.checkAnimator(a); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, g.setProblems()...)
	return errors.Join(errs...)
}

// Registration is one extension's registrations as lychd receives them:
// AddRune and AddAnimator check each one as it arrives (the SDK's rules
// for it, no name twice, the counts and sizes of MaxRunes, MaxAnimators,
// MaxRegistration and validate's limits for the whole Sepulcher), and the
// first refusal sticks: every later registration is refused too. Check
// then applies the rules of the whole registration. lychd's registry and
// the test kit use it, so both refuse the same registrations with the same
// words. It is not safe for concurrent use.
type Registration struct {
	src                  validate.Source
	runes                []Rune
	animators            []Animator
	presets              []NamedPreset
	runeNames, animNames map[string]bool
	size                 int
	tally                validate.Tally
	refused              error
}

// NewRegistration returns an empty Registration for a source (extensions
// are validate.FromExtension).
func NewRegistration(src validate.Source) *Registration {
	return &Registration{src: src, runeNames: map[string]bool{}, animNames: map[string]bool{}}
}

// AddRune checks r and records it, or refuses it.
func (g *Registration) AddRune(r Rune) error {
	if g.refused != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", g.refused)
	}
	if err := g.check(r); err != nil {
		g.refused = err
		return err
	}
	return nil
}

// AddAnimator checks a and records it, or refuses it.
func (g *Registration) AddAnimator(a Animator) error {
	if g.refused != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", g.refused)
	}
	if err := g.checkAnimator(a); err != nil {
		g.refused = err
		return err
	}
	return nil
}

// NamedPreset is an engine preset with the name it was registered under.
type NamedPreset struct {
	Name   string
	Preset preset.Preset
}

// AddPreset checks an engine preset (preset.Preset.Validate, the name
// registered once, at most MaxPresets, its text within MaxRegistration)
// and records it, or refuses it. Whether the name is free among lychd's
// own presets and those of other extensions is decided when lychd binds.
func (g *Registration) AddPreset(name string, p preset.Preset) error {
	if g.refused != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", g.refused)
	}
	if err := g.checkPreset(name, p); err != nil {
		g.refused = err
		return err
	}
	return nil
}

func (g *Registration) checkPreset(name string, p preset.Preset) error {
	if len(g.presets) >= MaxPresets {
		return fmt.Errorf("more than %d engine presets; an extension may register at most %d", MaxPresets, MaxPresets)
	}
	if err := checkField("preset name", name); err != nil {
		return err
	}
	if errs := p.Validate(name); len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, q := range g.presets {
		if q.Name == name {
			return fmt.Errorf("preset %s is registered twice; register each preset once", quote(name))
		}
	}
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("preset %s: %w", quote(name), err)
	}
	g.size += len(name) + len(data)
	if g.size > MaxRegistration {
		return fmt.Errorf("preset %s: with it the registration's text adds up to %d bytes; an extension may register at most %d bytes", quote(name), g.size, MaxRegistration)
	}
	g.presets = append(g.presets, NamedPreset{Name: name, Preset: p})
	return nil
}

// Presets returns the recorded presets, in registration order.
func (g *Registration) Presets() []NamedPreset { return append([]NamedPreset(nil), g.presets...) }

// Refused returns the first refusal, or nil.
func (g *Registration) Refused() error { return g.refused }

// Check returns the first refusal, else the problems of the whole
// registration (validate.CheckSet, and every soulstone Animator served by
// a rune of the registration), joined; nil when there are none.
func (g *Registration) Check() error {
	if g.refused != nil {
		return g.refused
	}
	return errors.Join(g.setProblems()...)
}

// Runes and Animators return what was recorded, in registration order.
func (g *Registration) Runes() []Rune { return append([]Rune(nil), g.runes...) }

// Animators returns the recorded Animators, in registration order.
func (g *Registration) Animators() []Animator { return append([]Animator(nil), g.animators...) }

// check applies the rules a rune must satisfy as it arrives and records
// it, whatever the verdict, so that the set rules see every rune.
func (g *Registration) check(r Rune) error {
	if len(g.runes) >= MaxRunes {
		return TooManyRunes()
	}
	dup := g.runeNames[r.Name]
	g.runeNames[r.Name] = true
	if err := ValidateRuneFrom(r, g.src); err != nil {
		return err
	}
	rule := RuleRune(r)
	g.size += validate.RuneSize(rule)
	g.runes = append(g.runes, r)
	if dup {
		return validate.RuneTwice(r.Name)
	}
	if g.size > MaxRegistration {
		return fmt.Errorf("rune %s: with it the registration's text adds up to %d bytes; an extension may register at most %d bytes", quote(r.Name), g.size, MaxRegistration)
	}
	if errs := g.tally.Add(rule); len(errs) > 0 {
		return fmt.Errorf("rune %s: %w", quote(r.Name), errs[0])
	}
	return nil
}

// checkAnimator is check for an Animator.
func (g *Registration) checkAnimator(a Animator) error {
	if len(g.animators) >= MaxAnimators {
		return TooManyAnimators()
	}
	dup := g.animNames[a.Name]
	g.animNames[a.Name] = true
	if err := ValidateAnimator(a); err != nil {
		return err
	}
	g.animators = append(g.animators, a)
	g.size += len(a.Name) + len(a.Rune) + len(a.URL)
	for _, l := range [][]string{a.Capabilities, a.Tags} {
		for _, s := range l {
			g.size += len(s)
		}
	}
	if dup {
		return AnimatorTwice(a.Name)
	}
	if g.size > MaxRegistration {
		return fmt.Errorf("Animator %s: with it the registration's text adds up to %d bytes; an extension may register at most %d bytes", quote(a.Name), g.size, MaxRegistration)
	}
	return nil
}

// setProblems applies the rules of the whole registration.
func (g *Registration) setProblems() []error {
	var errs []error
	rules := make([]validate.Rune, len(g.runes))
	for i, r := range g.runes {
		rules[i] = RuleRune(r)
	}
	for _, p := range validate.CheckSet(rules) {
		if p.Field != validate.FieldName { // names twice are refused as they arrive
			errs = append(errs, p.Err)
		}
	}
	for _, a := range g.animators {
		if rn := RuneFor(a); rn != "" && !g.runeNames[rn] {
			errs = append(errs, fmt.Errorf("Animator %s is served by rune %s, which this extension did not register; add the rune with AddRune or make the Animator a portal", quote(a.Name), quote(rn)))
		}
	}
	return errs
}

// checkField bounds one string field before anything else looks at it, so
// that a huge value never reaches a message.
func checkField(what, s string) error {
	if len(s) > MaxField {
		return fmt.Errorf("%s is %d bytes long; the limit is %d bytes", what, len(s), MaxField)
	}
	return nil
}

func checkList(what string, n int) error {
	if n > MaxList {
		return fmt.Errorf("%s has %d entries; the limit is %d", what, n, MaxList)
	}
	return nil
}

// quote renders a value for a message, shortened when long.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// each checks every entry of a string list with check.
func each(what string, vals []string, check func(string) error) error {
	if err := checkList(what, len(vals)); err != nil {
		return err
	}
	for _, v := range vals {
		if err := checkField(what+" entry", v); err != nil {
			return err
		}
		if err := check(v); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}
