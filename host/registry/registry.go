// Package registry is the host's side of one extension's assimilation: a
// wire.Sink that enforces size limits and validates every rune and Animator
// as it arrives, then converts them to the shared model with their source.
//
// Checks across sources (the same rune name from two extensions, port
// clashes, covens) belong to the manifest compiler; this package checks
// only what one extension registered on its own.
package registry

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/lychd/lychd/host/failure"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/validate"
)

// Limits bound what one extension may register.
type Limits struct {
	// MaxRunes and MaxAnimators bound how many of each one extension
	// registers.
	MaxRunes, MaxAnimators int
	// MaxField bounds every string field, in bytes.
	MaxField int
	// MaxList bounds every list or map field, in entries.
	MaxList int
}

// DefaultLimits are the limits the host applies: the SDK's documented
// counts (sdk.MaxRunes, sdk.MaxAnimators), and a 64 KiB bound on any field
// checked before anything else reads it (sdk.ValidateRune then applies the
// SDK's tighter per-value limits).
var DefaultLimits = Limits{MaxRunes: sdk.MaxRunes, MaxAnimators: sdk.MaxAnimators, MaxField: 64 << 10, MaxList: 1000}

// Collector receives one extension's registrations. It is safe for
// concurrent use.
type Collector struct {
	source model.Source
	limits Limits

	mu        sync.Mutex
	sdkRunes  []sdk.Rune
	sdkAnims  []sdk.Animator
	runes     []model.Rune
	animators []model.Animator
	runeNames map[string]bool
	animNames map[string]bool
	rejected  error
}

// New returns a Collector for the extension (or core) at source.
func New(source model.Source, limits Limits) *Collector {
	return &Collector{source: source, limits: limits, runeNames: map[string]bool{}, animNames: map[string]bool{}}
}

// AddRune validates r and records it. A rejected rune is reported to the
// caller and remembered: Result then fails even if the extension ignored
// the error.
func (c *Collector) AddRune(_ context.Context, r sdk.Rune) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.recoverInto(&err)
	if c.rejected != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", c.rejected)
	}
	if len(c.runes) >= c.limits.MaxRunes {
		return c.reject(fmt.Errorf("registered more than %d runes; an extension may register at most %d", c.limits.MaxRunes, c.limits.MaxRunes))
	}
	m, err := c.convertRune(r)
	if err != nil {
		return c.reject(err)
	}
	if c.runeNames[m.Name] {
		return c.reject(fmt.Errorf("registered rune %s twice; give each rune its own name", failure.Quote(m.Name)))
	}
	c.runeNames[m.Name] = true
	c.runes = append(c.runes, m)
	c.sdkRunes = append(c.sdkRunes, r)
	return nil
}

// RegisterAnimator validates a and records it, like AddRune.
func (c *Collector) RegisterAnimator(_ context.Context, a sdk.Animator) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.recoverInto(&err)
	if c.rejected != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", c.rejected)
	}
	if len(c.animators) >= c.limits.MaxAnimators {
		return c.reject(fmt.Errorf("registered more than %d Animators; an extension may register at most %d", c.limits.MaxAnimators, c.limits.MaxAnimators))
	}
	m, err := c.convertAnimator(a)
	if err != nil {
		return c.reject(err)
	}
	if c.animNames[m.Name] {
		return c.reject(fmt.Errorf("registered Animator %s twice; give each Animator its own name", failure.Quote(m.Name)))
	}
	c.animNames[m.Name] = true
	c.animators = append(c.animators, m)
	c.sdkAnims = append(c.sdkAnims, a)
	return nil
}

// recoverInto turns a panic while checking an extension's data (a bug in
// lychd) into a rejection: the calls arrive on gRPC server goroutines, where
// a panic would crash the whole host.
func (c *Collector) recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = c.reject(fmt.Errorf("lychd panicked while checking this registration (%v); please report this bug", r))
	}
}

func (c *Collector) reject(err error) error {
	if c.rejected == nil {
		c.rejected = err
	}
	return err
}

// Rejected returns the first registration the collector refused, or nil.
func (c *Collector) Rejected() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rejected
}

// Result returns what was registered, in registration order, after the
// checks that need the whole registration: every soulstone Animator names a
// rune of the same extension. It fails when any registration was refused.
func (c *Collector) Result() ([]model.Rune, []model.Animator, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rejected != nil {
		return nil, nil, c.rejected
	}
	var missing []string
	for _, a := range c.animators {
		if a.Kind == model.AnimatorSoulstone && !c.runeNames[a.Rune] {
			missing = append(missing, fmt.Sprintf("Animator %s is served by rune %s, which this extension did not register; add the rune with AddRune or make the Animator a portal", failure.Quote(a.Name), failure.Quote(a.Rune)))
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return nil, nil, fmt.Errorf("%s", missing[0])
	}
	vrunes := make([]sdk.Rune, len(c.sdkRunes))
	for i, r := range c.sdkRunes {
		vrunes[i] = c.forValidation(r)
	}
	if err := sdk.ValidateSet(vrunes, c.sdkAnims); err != nil {
		return nil, nil, err
	}
	return append([]model.Rune(nil), c.runes...), append([]model.Animator(nil), c.animators...), nil
}

// field checks the size of one string field before anything else looks at
// it, so that a huge value never reaches a message.
func (c *Collector) field(what, s string) error {
	if len(s) > c.limits.MaxField {
		return fmt.Errorf("%s is %d bytes long; the limit is %d bytes", what, len(s), c.limits.MaxField)
	}
	return nil
}

// sizes bounds every string of a registration before any validation reads
// it, so that a huge value is refused cheaply and never quoted.
func (c *Collector) sizes(name, what string, strs []string) error {
	for _, s := range strs {
		if len(s) > c.limits.MaxField {
			return fmt.Errorf("%s %s has a field of %d bytes; the limit is %d bytes", what, failure.Quote(name), len(s), c.limits.MaxField)
		}
	}
	return nil
}

// runeStrings lists every string of r except its name.
func runeStrings(r sdk.Rune) []string {
	out := []string{r.Description, r.Image}
	for _, l := range [][]string{r.Groups, r.After, r.Wants, r.Requires, r.Devices, r.Volumes, r.Exec} {
		out = append(out, l...)
	}
	for k, v := range r.Environment {
		out = append(out, k, v)
	}
	return out
}

func (c *Collector) list(what string, n int) error {
	if n > c.limits.MaxList {
		return fmt.Errorf("%s has %d entries; the limit is %d", what, n, c.limits.MaxList)
	}
	return nil
}

// each checks every entry of a string list with check.
func (c *Collector) each(what string, vals []string, check func(string) error) error {
	if err := c.list(what, len(vals)); err != nil {
		return err
	}
	for _, v := range vals {
		if err := c.field(what+" entry", v); err != nil {
			return err
		}
		if err := check(v); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

func (c *Collector) convertRune(r sdk.Rune) (model.Rune, error) {
	if err := c.field("rune name", r.Name); err != nil {
		return model.Rune{}, err
	}
	if err := c.sizes(r.Name, "rune", runeStrings(r)); err != nil {
		return model.Rune{}, err
	}
	if err := sdk.ValidateRune(c.forValidation(r)); err != nil {
		return model.Rune{}, err
	}
	if err := validate.Name(r.Name); err != nil {
		return model.Rune{}, fmt.Errorf("registered a rune with an invalid name: %w", err)
	}
	wrap := func(err error) (model.Rune, error) {
		return model.Rune{}, fmt.Errorf("rune %s: %w", failure.Quote(r.Name), err)
	}
	m := model.Rune{
		Name:        r.Name,
		Description: r.Description,
		Image:       r.Image,
		Port:        r.Port,
		ExposePort:  r.ExposePort,
		HostPort:    r.HostPort,
		Source:      c.source,

		StartTimeout: r.StartTimeout,
	}
	switch r.Kind {
	case sdk.Soulstone:
		m.Kind = model.KindSoulstone
	case sdk.AlwaysOn:
		m.Kind = model.KindCore
	default:
		return wrap(fmt.Errorf("unknown kind %d; use sdk.Soulstone or sdk.AlwaysOn", r.Kind))
	}
	if err := c.field("description", r.Description); err != nil {
		return wrap(err)
	}
	if r.Description != "" {
		if err := validate.Description(r.Description); err != nil {
			return wrap(err)
		}
	}
	if err := c.field("image", r.Image); err != nil {
		return wrap(err)
	}
	if err := validate.Image(r.Image); err != nil {
		return wrap(err)
	}
	if len(r.Groups) > 0 && r.Kind == sdk.AlwaysOn {
		return wrap(fmt.Errorf("an AlwaysOn rune belongs to no coven; remove its groups or make it a soulstone"))
	}
	checks := []struct {
		what string
		vals []string
		fn   func(string) error
		dst  *[]string
	}{
		{"groups", r.Groups, validate.Name, &m.Groups},
		{"after", r.After, validate.UnitName, &m.After},
		{"wants", r.Wants, validate.UnitName, &m.Wants},
		{"requires", r.Requires, validate.UnitName, &m.Requires},
		{"devices", r.Devices, validate.Device, &m.Devices},
		{"volumes", r.Volumes, c.volumeCheck(), &m.Volumes},
		{"exec", r.Exec, validate.ExecArg, &m.Exec},
	}
	for _, ck := range checks {
		if err := c.each(ck.what, ck.vals, ck.fn); err != nil {
			return wrap(err)
		}
		*ck.dst = append([]string(nil), ck.vals...)
	}
	if r.Port != 0 {
		if err := validate.Port(r.Port); err != nil {
			return wrap(err)
		}
	}
	if r.HostPort != 0 {
		if err := validate.Port(r.HostPort); err != nil {
			return wrap(fmt.Errorf("host port: %w", err))
		}
	}
	if (r.ExposePort || r.HostPort != 0) && r.Port == 0 {
		return wrap(fmt.Errorf("exposes a port but declares none; set Port"))
	}
	if err := c.list("environment", len(r.Environment)); err != nil {
		return wrap(err)
	}
	keys := make([]string, 0, len(r.Environment))
	for k := range r.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := r.Environment[k]
		if err := c.field("environment name", k); err != nil {
			return wrap(err)
		}
		if err := c.field("environment value", v); err != nil {
			return wrap(err)
		}
		if err := validate.EnvName(k); err != nil {
			return wrap(fmt.Errorf("environment: %w", err))
		}
		if err := validate.EnvValue(v); err != nil {
			return wrap(fmt.Errorf("environment %s: %w", k, err))
		}
		m.Environment = append(m.Environment, model.EnvVar{Name: k, Value: v})
	}
	return m, nil
}

func (c *Collector) convertAnimator(a sdk.Animator) (model.Animator, error) {
	if err := c.field("Animator name", a.Name); err != nil {
		return model.Animator{}, err
	}
	strs := append([]string{a.Rune, a.URL}, a.Capabilities...)
	if err := c.sizes(a.Name, "Animator", append(strs, a.Tags...)); err != nil {
		return model.Animator{}, err
	}
	if err := sdk.ValidateAnimator(a); err != nil {
		return model.Animator{}, err
	}
	if err := validate.Name(a.Name); err != nil {
		return model.Animator{}, fmt.Errorf("registered an Animator with an invalid name: %w", err)
	}
	wrap := func(err error) (model.Animator, error) {
		return model.Animator{}, fmt.Errorf("animator %s: %w", failure.Quote(a.Name), err)
	}
	m := model.Animator{Name: a.Name, Source: c.source}
	switch a.Kind {
	case sdk.AnimatorSoulstone:
		m.Kind = model.AnimatorSoulstone
		if a.URL != "" {
			return wrap(fmt.Errorf("a soulstone Animator has no URL; remove it or make the Animator a portal"))
		}
		m.Rune = a.Rune
		if m.Rune == "" {
			m.Rune = a.Name
		}
		if err := c.field("rune", m.Rune); err != nil {
			return wrap(err)
		}
		if err := validate.Name(m.Rune); err != nil {
			return wrap(fmt.Errorf("rune: %w", err))
		}
	case sdk.AnimatorPortal:
		m.Kind = model.AnimatorPortal
		if a.Rune != "" {
			return wrap(fmt.Errorf("a portal is served by a remote URL, not by rune %s; remove the rune or make the Animator a soulstone", failure.Quote(a.Rune)))
		}
		if err := c.field("URL", a.URL); err != nil {
			return wrap(err)
		}
		if err := validate.URL(a.URL); err != nil {
			return wrap(err)
		}
		m.URL = a.URL
	default:
		return wrap(fmt.Errorf("unknown kind %d; use sdk.AnimatorSoulstone or sdk.AnimatorPortal", a.Kind))
	}
	if err := c.each("capabilities", a.Capabilities, validate.Capability); err != nil {
		return wrap(err)
	}
	if err := c.each("tags", a.Tags, validate.Tag); err != nil {
		return wrap(err)
	}
	m.Capabilities = append([]string(nil), a.Capabilities...)
	m.Tags = append([]string(nil), a.Tags...)
	return m, nil
}

// volumeCheck validates volumes. The core, compiled into lychd and trusted,
// may use the %h specifier (the user's home, as in the spec's Vessel unit);
// extensions may not use any specifier.
func (c *Collector) volumeCheck() func(string) error {
	if c.source.Kind != model.SourceCore {
		return validate.Volume
	}
	return func(s string) error { return validate.Volume(strings.ReplaceAll(s, "%h/", "/home/")) }
}

// forValidation returns r as the SDK's rules should see it: the trusted core
// may use %h in volumes (see volumeCheck), which the rules for extensions
// refuse.
func (c *Collector) forValidation(r sdk.Rune) sdk.Rune {
	if c.source.Kind != model.SourceCore || len(r.Volumes) == 0 {
		return r
	}
	vols := make([]string, len(r.Volumes))
	for i, v := range r.Volumes {
		vols[i] = strings.ReplaceAll(v, "%h/", "/home/")
	}
	r.Volumes = vols
	return r
}
