package host

import (
	"context"
	"time"

	"github.com/lychd/lychd/host/cache"
	"github.com/lychd/lychd/host/inventory"
	"github.com/lychd/lychd/host/registry"
	"github.com/lychd/lychd/internal/model"
)

// CoreName is the name of the core extension compiled into lychd.
const CoreName = "core"

// Stats describe one extension's assimilation.
type Stats struct {
	Name     string
	Version  string
	Protocol int
	// SHA256 is the installed binary's digest from the lock file ("" for
	// the core).
	SHA256 string
	Source model.Source
	// Cached is true when the registration came from the cache: no launch.
	Cached bool
	// Launch is the time from the start of the binary's verification to
	// the end of the handshake, Verify the part of it spent hashing the
	// binary; Assimilation is the Info and Assimilate calls.
	Launch, Verify, Assimilation time.Duration
	Runes, Animators             int
	// Unisolated is true when the extension was launched without a PID
	// namespace of its own (see launch.Process.Isolated).
	Unisolated bool
}

// Result is everything the extensions registered.
type Result struct {
	// Runes and Animators: the core's first, then each extension's in name
	// order, each in registration order, with their Source set.
	Runes     []model.Rune
	Animators []model.Animator
	// Presets are the engine presets extensions registered, in the same
	// order, with their Source set.
	Presets []registry.Preset
	// Extensions are sorted like the runes.
	Extensions []Stats
	// Launched is true when at least one extension process ran (false
	// when every registration came from the cache).
	Launched bool
	// Warnings are for the user, one sentence each.
	Warnings []string
}

// Add appends one extension's registration to r.
func (r *Result) Add(runes []model.Rune, animators []model.Animator, s Stats) {
	r.Runes = append(r.Runes, runes...)
	r.Animators = append(r.Animators, animators...)
	r.Extensions = append(r.Extensions, s)
}

// cacheKey is the cache key of installed extension in with its
// configuration, under host.
func cacheKey(in inventory.Extension, config []byte, host string) (cache.Key, error) {
	return cache.KeyFor(in.Path, in.Entry.SHA256, in.Entry.Protocol, config, host)
}

// fromCache returns the cached registration of installed extension in for
// key, replayed through the same checks as a live one (a Collector), so
// that a cache entry can only ever yield what the extension itself could
// register. A missing, stale or refused entry is a miss.
func fromCache(c *cache.Cache, in inventory.Extension, key cache.Key) (*outcome, bool) {
	e, ok := c.Load(in.Name, key)
	if !ok {
		return nil, false
	}
	src := model.Source{Kind: model.SourceExtension, Name: in.Name}
	col := registry.New(src)
	for _, r := range e.Runes {
		if col.AddRune(context.Background(), r) != nil {
			return nil, false
		}
	}
	for _, a := range e.Animators {
		if col.RegisterAnimator(context.Background(), a) != nil {
			return nil, false
		}
	}
	for _, p := range e.Presets {
		if col.AddPreset(context.Background(), p.Name, p.Preset) != nil {
			return nil, false
		}
	}
	runes, animators, err := col.Result()
	if err != nil {
		return nil, false
	}
	return &outcome{runes: runes, animators: animators, presets: col.Presets(), stats: Stats{
		Name: in.Name, Version: e.Version, Protocol: in.Entry.Protocol, SHA256: in.Entry.SHA256, Source: src, Cached: true,
		Runes: len(runes), Animators: len(animators),
	}}, true
}
