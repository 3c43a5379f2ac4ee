package start

import (
	"context"
	"errors"
	"fmt"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/installed"
	"github.com/lychd/lychd/internal/sepulcher"
	"github.com/lychd/lychd/internal/systemd"
)

// Installed resolves names against the units systemd has loaded (what it
// enforces) and, for a name no unit is called after (a coven of one such as
// "reasoning" whose only soulstone is "hermes"), against the covenant
// compiled from the Codex and extensions, loaded only then. Conflicts are
// always judged on the installed units.
type Installed struct {
	Units *systemd.UnitResolver
	// Covenant loads the compiled covenant; nil resolves unit names only.
	Covenant func() (*covenant.Graph, error)

	graph   *covenant.Graph
	loadErr error
	loaded  bool
}

var (
	_ Resolver  = (*Installed)(nil)
	_ Blamer    = (*Installed)(nil)
	_ Explainer = (*Installed)(nil)
)

func (r *Installed) load() (*covenant.Graph, error) {
	if !r.loaded {
		r.loaded = true
		r.graph, r.loadErr = r.Covenant()
	}
	return r.graph, r.loadErr
}

// Resolve returns the installed unit for name.
func (r *Installed) Resolve(name string) (unit string, members []string, err error) {
	unit, members, err = r.Units.Resolve(name)
	if err == nil || r.Covenant == nil {
		return unit, members, err
	}
	g, gerr := r.load()
	if gerr != nil {
		return "", nil, fmt.Errorf("%w; reading the Codex to look for a coven of that name failed too: %v", err, gerr)
	}
	cu, cm, cerr := (CovenantResolver{Graph: g}).Resolve(name)
	if cerr != nil {
		return "", nil, err
	}
	if !r.Units.Has(cu) {
		return "", nil, fmt.Errorf("%q is in the Codex but systemd has no %s loaded; run `lychd bind`", name, cu)
	}
	return cu, cm, nil
}

// Err returns the first error reading an installed unit met.
func (r *Installed) Err() error { return r.Units.Err() }

// Conflict returns the first pair of names whose installed units conflict.
func (r *Installed) Conflict(names []string) (a, b string, ok bool) {
	var units, known []string
	for _, n := range names {
		if u, _, err := r.Resolve(n); err == nil {
			units = append(units, u)
			known = append(known, n)
		}
	}
	i, j, ok := r.Units.ConflictAmong(units)
	if !ok {
		return "", "", false
	}
	return known[i], known[j], true
}

// ConflictingWith names the units among starting that unit conflicts with.
func (r *Installed) ConflictingWith(unit string, starting []string) []string {
	return r.Units.ConflictingWith(unit, starting)
}

// WhyConflict explains a conflict from the covenant when the Codex can be
// read and agrees.
func (r *Installed) WhyConflict(a, b string) string {
	if r.Covenant == nil {
		return ""
	}
	g, err := r.load()
	if err != nil {
		return ""
	}
	return CovenantResolver{Graph: g}.WhyConflict(a, b)
}

// DefaultResolver returns the resolver lychd start and stop use: Installed,
// answering from lychd's installed unit files where it can (no D-Bus read
// before the start), with the covenant gathered from f's Codex and
// extensions when f can assimilate them.
func DefaultResolver(f *cmdutil.Factory) func(ctx context.Context, m systemd.Manager) (Resolver, error) {
	return func(ctx context.Context, m systemd.Manager) (Resolver, error) {
		units, err := systemd.NewUnitResolver(ctx, m)
		if err != nil {
			return nil, err
		}
		// The files only save reads: when they cannot be read, systemd
		// answers for every name.
		if f.Paths != nil {
			if p, err := f.Paths(); err == nil {
				if ix, err := installed.Load(p); err == nil {
					units.UseFiles(ix)
				}
			}
		}
		r := &Installed{Units: units}
		if f.Assimilate != nil && f.Paths != nil {
			r.Covenant = func() (*covenant.Graph, error) { return LoadCovenant(ctx, f) }
		}
		return r, nil
	}
}

// LoadCovenant gathers the Codex and extensions and compiles the covenant.
func LoadCovenant(ctx context.Context, f *cmdutil.Factory) (*covenant.Graph, error) {
	if f.Assimilate == nil || f.Paths == nil {
		return nil, errors.New("this lychd cannot read the Codex")
	}
	p, err := f.Paths()
	if err != nil {
		return nil, err
	}
	sep, err := sepulcher.Gather(ctx, p, f.Assimilate)
	if err != nil {
		return nil, err
	}
	return covenant.Build(sep.Manifest.Runes, sep.Manifest.Alliances)
}
