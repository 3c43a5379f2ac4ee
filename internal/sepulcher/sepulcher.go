// Package sepulcher gathers the whole manifest lychd works on: the user's
// Codex, the core runes and everything installed extensions register, in
// that order of loading, flattened into one model.Manifest.
package sepulcher

import (
	"context"
	"fmt"
	"sync"

	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
)

// Assimilated is what the core and the installed extensions registered.
type Assimilated struct {
	Runes     []model.Rune
	Animators []model.Animator
	// Extensions are one line per extension for reports, e.g.
	// "vision-organ 1.2.0 (launch 7ms, assimilation 2ms)".
	Extensions []string
}

// Assimilator runs the core and every installed extension with their
// configuration from the Codex. Before it starts any process (lychd-host
// or an extension) it must call BeforeLaunch(ctx) and fail with its error;
// one that takes everything from the registration cache starts none.
type Assimilator func(ctx context.Context, cx *codex.Codex) (*Assimilated, error)

type beforeLaunchKey struct{}

// WithBeforeLaunch returns a copy of ctx with which an Assimilator calls
// fn, once, before it starts any process: lychd bind snapshots the binding
// site there, to notice an extension writing to it, and needs no snapshot
// when nothing runs.
func WithBeforeLaunch(ctx context.Context, fn func() error) context.Context {
	var once sync.Once
	var err error
	return context.WithValue(ctx, beforeLaunchKey{}, func() error {
		once.Do(func() { err = fn() })
		return err
	})
}

// BeforeLaunch runs the function WithBeforeLaunch put in ctx, if any.
func BeforeLaunch(ctx context.Context) error {
	if fn, ok := ctx.Value(beforeLaunchKey{}).(func() error); ok {
		return fn()
	}
	return nil
}

// Sepulcher is the gathered state.
type Sepulcher struct {
	Codex      *codex.Codex
	Manifest   *model.Manifest
	Assimilate *Assimilated
}

// Gather loads the Codex from p and assimilates the core and extensions.
// Codex errors are returned as they are (codex.Errors lists every problem);
// assimilation errors are wrapped.
func Gather(ctx context.Context, p paths.Paths, assimilate Assimilator) (*Sepulcher, error) {
	cx, err := codex.Load(p.CodexDir())
	if err != nil {
		return nil, err
	}
	as, err := assimilate(ctx, cx)
	if err != nil {
		return nil, fmt.Errorf("assimilation failed: %w", err)
	}
	m := cx.Manifest()
	m.Runes = append(append([]model.Rune(nil), as.Runes...), m.Runes...)
	m.Animators = append(append([]model.Animator(nil), as.Animators...), m.Animators...)
	return &Sepulcher{Codex: cx, Manifest: &m, Assimilate: as}, nil
}
