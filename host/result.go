package host

import (
	"time"

	"github.com/lychd/lychd/host/cache"
	"github.com/lychd/lychd/host/inventory"
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

// CoreSource is the Source of everything the core registers.
var CoreSource = model.Source{Kind: model.SourceCore, Name: CoreName}

// CoreKey is the cache key of the core's registration: the core is part
// of the host, so the host fingerprint and its configuration decide it.
func CoreKey(config []byte, host string) cache.Key {
	return cache.KeyForConfig(config, host)
}

// LoadCore returns the core's cached registration, if its entry is valid.
func LoadCore(c *cache.Cache, config []byte, host string) (runes []model.Rune, animators []model.Animator, s Stats, ok bool) {
	e, ok := c.Load(CoreName, CoreKey(config, host))
	if !ok {
		return nil, nil, Stats{}, false
	}
	runes, animators, s = fromEntry(e, CoreSource, 0)
	s.Protocol = e.Protocol
	return runes, animators, s, true
}

// ExtensionKey is the cache key of installed extension in with its
// configuration, under host.
func ExtensionKey(in inventory.Extension, config []byte, host string) (cache.Key, error) {
	return cache.KeyFor(in.Path, in.Entry.SHA256, in.Entry.Protocol, config, host)
}

// LoadExtension returns the cached registration of installed extension in
// for key (see ExtensionKey), if its entry is valid.
func LoadExtension(c *cache.Cache, in inventory.Extension, key cache.Key) (runes []model.Rune, animators []model.Animator, s Stats, ok bool) {
	e, ok := c.Load(in.Name, key)
	if !ok {
		return nil, nil, Stats{}, false
	}
	runes, animators, s = fromEntry(e, model.Source{Kind: model.SourceExtension, Name: in.Name}, in.Entry.Protocol)
	s.SHA256 = in.Entry.SHA256
	return runes, animators, s, true
}

func fromEntry(e *cache.Entry, src model.Source, protocol int) ([]model.Rune, []model.Animator, Stats) {
	for i := range e.Runes {
		e.Runes[i].Source = src
	}
	for i := range e.Animators {
		e.Animators[i].Source = src
	}
	return e.Runes, e.Animators, Stats{
		Name: src.Name, Version: e.Version, Protocol: protocol, Source: src, Cached: true,
		Runes: len(e.Runes), Animators: len(e.Animators),
	}
}
