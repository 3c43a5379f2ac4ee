// Package registry is the host's side of one extension's assimilation: a
// wire.Sink that checks every rune and Animator as it arrives with the
// SDK's rules (sdk.ValidateRuneFrom, sdk.ValidateAnimator, and
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

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/validate"
)

// Limits is New's second argument. It carries nothing: the limits are the
// SDK's (sdk.MaxRunes, sdk.MaxAnimators and package validate's), so that an
// extension that passes the SDK's checks passes here.
type Limits struct{}

// DefaultLimits are the limits the host applies.
var DefaultLimits = Limits{}

// Collector receives one extension's registrations. It is safe for
// concurrent use.
type Collector struct {
	source model.Source

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
func New(source model.Source, _ Limits) *Collector {
	return &Collector{source: source, runeNames: map[string]bool{}, animNames: map[string]bool{}}
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
	if len(c.runes) >= sdk.MaxRunes {
		return c.reject(sdk.TooManyRunes())
	}
	m, err := c.convertRune(r)
	if err != nil {
		return c.reject(err)
	}
	if c.runeNames[m.Name] {
		return c.reject(validate.RuneTwice(m.Name))
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
	if len(c.animators) >= sdk.MaxAnimators {
		return c.reject(sdk.TooManyAnimators())
	}
	m, err := c.convertAnimator(a)
	if err != nil {
		return c.reject(err)
	}
	if c.animNames[m.Name] {
		return c.reject(sdk.AnimatorTwice(m.Name))
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
// rules that need the whole registration (sdk.ValidateSetFrom). It fails
// when any registration was refused.
func (c *Collector) Result() ([]model.Rune, []model.Animator, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rejected != nil {
		return nil, nil, c.rejected
	}
	if err := sdk.ValidateSetFrom(c.sdkRunes, c.sdkAnims, c.rules()); err != nil {
		return nil, nil, err
	}
	return append([]model.Rune(nil), c.runes...), append([]model.Animator(nil), c.animators...), nil
}

// rules is the source the SDK's rules judge this collector's registrations
// as: the core's runes may use %h in their volumes and take the core's
// names.
func (c *Collector) rules() validate.Source {
	if c.source.Kind == model.SourceCore {
		return validate.FromCore
	}
	return validate.FromExtension
}

// convertRune checks r with the SDK's rules and converts it.
func (c *Collector) convertRune(r sdk.Rune) (model.Rune, error) {
	if err := sdk.ValidateRuneFrom(r, c.rules()); err != nil {
		return model.Rune{}, err
	}
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
		StartTimeout: r.StartTimeout,
		Source:       c.source,
	}
	if r.Kind == sdk.AlwaysOn {
		m.Kind = model.KindCore
	}
	for _, e := range sdk.RuleRune(r).Environment {
		m.Environment = append(m.Environment, model.EnvVar{Name: e.Name, Value: e.Value})
	}
	return m, nil
}

// convertAnimator checks a with the SDK's rules and converts it.
func (c *Collector) convertAnimator(a sdk.Animator) (model.Animator, error) {
	if err := sdk.ValidateAnimator(a); err != nil {
		return model.Animator{}, err
	}
	m := model.Animator{Name: a.Name, Kind: model.AnimatorPortal, URL: a.URL, Source: c.source,
		Capabilities: clone(a.Capabilities), Tags: clone(a.Tags)}
	if a.Kind == sdk.AnimatorSoulstone {
		m.Kind = model.AnimatorSoulstone
		m.Rune = sdk.RuneFor(a)
	}
	return m, nil
}

// clone copies a list, keeping an empty list empty (never nil).
func clone(s []string) []string { return append([]string{}, s...) }
