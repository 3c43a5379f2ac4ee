// Package assimilation holds what an assimilation produces (Result, Stats)
// and its warm path: reading the whole Result from the registration cache
// without launching or hashing anything.
//
// It links no plugin machinery (no go-plugin, gRPC or protobuf), so the
// lychd command can take the warm path without paying their start-up
// cost; only a miss needs the lychd-host binary, which launches extensions
// with package host and refills the cache.
package assimilation

import (
	"encoding/json"
	"time"

	"github.com/lychd/lychd/host/cache"
	"github.com/lychd/lychd/host/inventory"
	"github.com/lychd/lychd/host/lockfile"
	"github.com/lychd/lychd/internal/model"
)

// CoreName is the name of the core extension compiled into lychd-host.
const CoreName = "core"

// Stats describe one extension's assimilation.
type Stats struct {
	Name     string
	Version  string
	Protocol int
	Source   model.Source
	// Cached is true when the registration came from the cache: no launch.
	Cached bool
	// Launch is the time from the start of the binary's verification to
	// the end of the handshake, Verify the part of it spent hashing the
	// binary; Assimilation is the Info and Assimilate calls.
	Launch, Verify, Assimilation time.Duration
	Runes, Animators             int
}

// Result is everything the extensions registered.
type Result struct {
	// Runes and Animators: the core's first, then each extension's in name
	// order, each in registration order, with their Source set.
	Runes     []model.Rune
	Animators []model.Animator
	// Extensions are sorted like the runes.
	Extensions []Stats
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
func ExtensionKey(in inventory.Installed, config []byte, host string) (cache.Key, error) {
	return cache.KeyFor(in.Path, in.Entry.SHA256, in.Entry.Protocol, config, host)
}

// LoadExtension returns the cached registration of installed extension in
// for key (see ExtensionKey), if its entry is valid.
func LoadExtension(c *cache.Cache, in inventory.Installed, key cache.Key) (runes []model.Rune, animators []model.Animator, s Stats, ok bool) {
	e, ok := c.Load(in.Name, key)
	if !ok {
		return nil, nil, Stats{}, false
	}
	runes, animators, s = fromEntry(e, model.Source{Kind: model.SourceExtension, Name: in.Name}, in.Entry.Protocol)
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

// Warm configures FromCache; its fields mean what the same fields of
// host.Options mean.
type Warm struct {
	ExtensionsDir string
	CacheDir      string
	// Core says whether the assimilation includes the core.
	Core bool
	// Config maps extension names to their configuration JSON; the
	// core's is under CoreName.
	Config map[string]json.RawMessage
	// Host is the host fingerprint the entries must have been stored
	// under.
	Host string
}

// FromCache returns the whole Result from the registration cache when the
// core's entry (with w.Core) and the entry of every installed extension
// are valid, exactly as host.Assimilate would return it with the same
// cache, and false at the first miss, problem or unreadable file: the
// caller then runs the real assimilation, which explains any problem.
func FromCache(w Warm) (*Result, bool) {
	if w.CacheDir == "" {
		return nil, false
	}
	c := cache.New(w.CacheDir)
	res := &Result{}
	if w.Core {
		runes, animators, s, ok := LoadCore(c, w.Config[CoreName], w.Host)
		if !ok {
			return nil, false
		}
		res.Add(runes, animators, s)
	}
	if w.ExtensionsDir == "" {
		return res, true
	}
	release, err := lockfile.AcquireShared(w.ExtensionsDir)
	if err != nil {
		return nil, false
	}
	defer release()
	exts, err := inventory.Listed(w.ExtensionsDir)
	if err != nil {
		return nil, false
	}
	for _, in := range exts {
		if in.Problem != "" {
			return nil, false
		}
		key, err := ExtensionKey(in, w.Config[in.Name], w.Host)
		if err != nil {
			return nil, false
		}
		runes, animators, s, ok := LoadExtension(c, in, key)
		if !ok {
			return nil, false
		}
		res.Add(runes, animators, s)
	}
	return res, true
}
