// Package registry is the host's side of one extension's assimilation: a
// wire.Sink that checks every rune, Animator and engine preset as it
// arrives with the SDK's rules (sdk.ValidateRuneFrom, sdk.ValidateAnimator,
// preset.Preset.Validate, and
// sdk.ValidateSetFrom for the whole registration), then converts them to
// the shared model with their source. It applies no rule of its own: an
// extension that passes the SDK's checks passes here.
//
// Checks across sources (the same rune name from two extensions, port
// clashes, covens) belong to the manifest compiler; this package checks
// only what one extension registered on its own.
package registry

import (
	"context"
	"fmt"
	"sync"

	"github.com/lychd/lychd/internal/engine"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/validate"
)

// Collector receives one extension's registrations. It is safe for
// concurrent use.
type Collector struct {
	source model.Source

	mu        sync.Mutex
	reg       *sdk.Registration
	runes     []model.Rune
	animators []model.Animator
	// panicked is a refusal of lychd's own making (see recoverInto).
	panicked error
}

// New returns a Collector for the extension (or core) at source. Its
// limits are the SDK's (sdk.MaxRunes, sdk.MaxAnimators and package
// validate's), so that an extension that passes the SDK's checks passes
// here.
func New(source model.Source) *Collector {
	src := validate.FromExtension
	if source.Kind == model.SourceCore {
		// The core's runes may use %h in their volumes and take the
		// core's names.
		src = validate.FromCore
	}
	return &Collector{source: source, reg: sdk.NewRegistration(src)}
}

// AddRune checks r with the SDK's rules (sdk.Registration) and records it.
// A refused rune is reported to the caller and remembered: every later
// registration is refused and Result fails, even if the extension ignored
// the error.
func (c *Collector) AddRune(_ context.Context, r sdk.Rune) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.recoverInto(&err)
	if err := c.refused(); err != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", err)
	}
	if err := c.reg.AddRune(r); err != nil {
		return err
	}
	c.runes = append(c.runes, c.convertRune(r))
	return nil
}

// RegisterAnimator checks a and records it, like AddRune.
func (c *Collector) RegisterAnimator(_ context.Context, a sdk.Animator) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.recoverInto(&err)
	if err := c.refused(); err != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", err)
	}
	if err := c.reg.AddAnimator(a); err != nil {
		return err
	}
	c.animators = append(c.animators, c.convertAnimator(a))
	return nil
}

// Preset is an engine preset an extension registered, with its source.
type Preset struct {
	Name   string
	Preset preset.Preset
	Source model.Source
}

// AddPreset checks p with the SDK's rules (sdk.Registration.AddPreset) and
// records it, like AddRune. Whether its name is free among lychd's own
// presets and other extensions' is checked when the Codex's soulstones
// are resolved.
func (c *Collector) AddPreset(_ context.Context, name string, p preset.Preset) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.recoverInto(&err)
	if err := c.refused(); err != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", err)
	}
	return c.reg.AddPreset(name, p)
}

// Presets returns the presets recorded, in registration order, with the
// collector's source.
func (c *Collector) Presets() []Preset {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Preset
	for _, p := range c.reg.Presets() {
		out = append(out, Preset{Name: p.Name, Preset: p.Preset, Source: c.source})
	}
	return out
}

// recoverInto turns a panic while checking an extension's data (a bug in
// lychd) into a refusal: the calls arrive on gRPC server goroutines, where
// a panic would crash the whole host.
func (c *Collector) recoverInto(err *error) {
	if r := recover(); r != nil {
		if c.panicked == nil {
			c.panicked = fmt.Errorf("lychd panicked while checking this registration (%v); please report this bug", r)
		}
		*err = c.panicked
	}
}

// refused returns the first refusal, or nil.
func (c *Collector) refused() error {
	if c.panicked != nil {
		return c.panicked
	}
	return c.reg.Refused()
}

// Rejected returns the first registration the collector refused, or nil.
func (c *Collector) Rejected() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refused()
}

// Result returns what was registered, in registration order, after the
// rules that need the whole registration (sdk.Registration.Check). It
// fails when any registration was refused.
func (c *Collector) Result() ([]model.Rune, []model.Animator, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.panicked != nil {
		return nil, nil, c.panicked
	}
	if err := c.reg.Check(); err != nil {
		return nil, nil, err
	}
	return append([]model.Rune(nil), c.runes...), append([]model.Animator(nil), c.animators...), nil
}

// convertRune converts a rune the SDK's rules accepted.
func (c *Collector) convertRune(r sdk.Rune) model.Rune {
	m := model.Rune{
		Name:         r.Name,
		Kind:         model.KindSoulstone,
		Description:  r.Description,
		Image:        r.Image,
		Groups:       clone(r.Groups),
		After:        clone(r.After),
		Wants:        clone(r.Wants),
		Requires:     clone(r.Requires),
		Port:         r.Port,
		ExposePort:   r.ExposePort,
		HostPort:     r.HostPort,
		Devices:      clone(r.Devices),
		Volumes:      clone(r.Volumes),
		Exec:         clone(r.Exec),
		Secrets:      model.ParseSecrets(r.Secrets),
		StartTimeout: r.StartTimeout,
		ShmSize:      r.ShmSize,
		Memory:       r.Memory,
		HostUser:     r.HostUser,
		Source:       c.source,
	}
	switch r.Kind {
	case sdk.AlwaysOn:
		m.Kind = model.KindCore
	case sdk.OneShot:
		m.Kind = model.KindOneShot
	}
	// The health check of a Codex soulstone's own health_cmd: the same
	// defaults, the same unit lines.
	engine.OwnHealth(&m, r.HealthCmd)
	for _, e := range sdk.RuleRune(r).Environment {
		m.Environment = append(m.Environment, model.EnvVar{Name: e.Name, Value: e.Value})
	}
	return m
}

// convertAnimator converts an Animator the SDK's rules accepted.
func (c *Collector) convertAnimator(a sdk.Animator) model.Animator {
	m := model.Animator{Name: a.Name, Kind: model.AnimatorPortal, URL: a.URL, Source: c.source,
		Capabilities: clone(a.Capabilities), Tags: clone(a.Tags)}
	for _, name := range a.Secrets {
		m.Secrets = append(m.Secrets, model.Secret{Name: name, Type: validate.SecretMount})
	}
	if a.Kind == sdk.AnimatorSoulstone {
		m.Kind = model.AnimatorSoulstone
		m.Rune = sdk.RuneFor(a)
	}
	return m
}

// clone copies a list; an empty list is nil, as everywhere in the model.
func clone(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}
