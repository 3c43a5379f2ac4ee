// Package bound is the record of what a bind bound. Every generation that
// lychd bind writes holds one, bound.json, beside its unit files: the
// flattened manifest (runes with their source, covens, alliances, Animators,
// ports), the unit name of everything, and what the manifest was made from
// (a digest of the Codex and the installed extensions). start, stop,
// status, animators and export read it and never launch an extension.
//
// The record is versioned: Version changes only on an incompatible change
// of the layout; fields are only ever added within a version. A record of
// another version is refused with what to do (run lychd bind).
package bound

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/unitname"
)

// FileName is the record's file name inside a generation.
const FileName = "bound.json"

// The subdirectories of a generation that hold its unit files.
const (
	QuadletDir = "quadlet"
	SystemdDir = "systemd"
	// ConfigDir holds the configuration files of lychd's own containers
	// (the Harvester's prometheus.yml).
	ConfigDir = "config"
)

// Version is the layout version of the record this lychd writes and reads.
const Version = 1

// Unit kinds.
const (
	KindPod  = "pod"
	KindCore = "core"
	// KindOneShot is a one-shot rune's service: it runs to completion
	// when a unit that requires it starts, and is inactive after.
	KindOneShot   = "oneshot"
	KindCoven     = "coven"
	KindHold      = "hold"
	KindSoulstone = "soulstone"
)

// Record is what one bind bound.
type Record struct {
	Version int `json:"version"`
	// Inputs are what the manifest was made from.
	Inputs Inputs `json:"inputs"`
	// Manifest is the flattened manifest, runes sorted by unit name.
	Manifest model.Manifest `json:"manifest"`
	// Covens are every coven, sorted by name, with its members.
	Covens []Coven `json:"covens"`
	// Units are every unit the bind wrote, sorted by kind then name.
	Units []Unit `json:"units"`
	// Files are the hex sha256 of every file the bind wrote into the
	// generation, by path inside it ("quadlet/lychd.pod",
	// "systemd/lychd-coven-x.target"), so that a file lychd did not write,
	// or one changed since, is recognised and never deleted.
	Files map[string]string `json:"files"`
}

// Inputs identify what a bind read, so that a later command can tell that
// a bind is pending.
type Inputs struct {
	// Codex is the digest of the Codex files (see CodexDigest).
	Codex string `json:"codex"`
	// Extensions are the installed extensions that were assimilated,
	// sorted by name.
	Extensions []Extension `json:"extensions"`
}

// Extension is one assimilated extension.
type Extension struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// SHA256 is the binary's digest from the lock file.
	SHA256 string `json:"sha256"`
}

// Coven is one coven.
type Coven struct {
	Name string `json:"name"`
	// Members are soulstone names, sorted.
	Members []string `json:"members"`
	// Unit is what starts the coven: its target for two or more members,
	// the service of its only member otherwise.
	Unit string `json:"unit"`
}

// Unit is one systemd unit lychd wrote (directly, or through Quadlet).
type Unit struct {
	// Name is the systemd unit name, e.g. "lychd-soulstone-x.service".
	Name string `json:"name"`
	// Kind is one of the Kind constants.
	Kind string `json:"kind"`
	// File is the file lychd wrote for it, e.g.
	// "lychd-soulstone-x.container".
	File string `json:"file"`
	// Rune is the rune of a pod member (core or soulstone).
	Rune string `json:"rune,omitempty"`
	// Covens are a soulstone's covens, or a coven target's own coven.
	Covens []string `json:"covens,omitempty"`
	// Soulstones are the soulstones a coven or hold target covers, sorted.
	Soulstones []string `json:"soulstones,omitempty"`
}

// New builds the record of manifest m with compatibility graph g, from
// the Quadlet, systemd and config files (name -> content) the bind writes
// and the soulstones of each hold target.
func New(m *model.Manifest, g *covenant.Graph, quadlet, systemd, config map[string][]byte, holds map[string][]string, in Inputs) *Record {
	r := &Record{Version: Version, Inputs: in, Files: map[string]string{}}
	for name, data := range config {
		r.Files[ConfigDir+"/"+name] = digest(data)
	}
	for name, data := range quadlet {
		r.Files[QuadletDir+"/"+name] = digest(data)
	}
	for name, data := range systemd {
		r.Files[SystemdDir+"/"+name] = digest(data)
	}
	r.Manifest = model.Manifest{
		Pod:       m.Pod,
		Alliances: m.Alliances,
		Runes:     m.SortedRunes(),
		Animators: append([]model.Animator(nil), m.Animators...),
	}
	sort.SliceStable(r.Manifest.Animators, func(i, j int) bool { return r.Manifest.Animators[i].Name < r.Manifest.Animators[j].Name })
	if r.Manifest.Alliances == nil {
		r.Manifest.Alliances = [][]string{}
	}
	if r.Inputs.Extensions == nil {
		r.Inputs.Extensions = []Extension{}
	}
	for _, c := range g.Covens() {
		cv := Coven{Name: c.Name, Members: append([]string(nil), c.Members...)}
		if c.HasTarget {
			cv.Unit = c.TargetName()
		} else {
			cv.Unit = unitname.SoulstoneService(c.Members[0])
		}
		r.Covens = append(r.Covens, cv)
	}
	runes := map[string]model.Rune{}
	for _, ru := range r.Manifest.Runes {
		runes[ru.UnitBase()] = ru
	}
	for _, f := range slices.Sorted(maps.Keys(quadlet)) {
		base, suffix, _ := strings.Cut(f, ".")
		switch suffix {
		case "pod":
			r.Units = append(r.Units, Unit{Name: unitname.Pod, Kind: KindPod, File: f})
		case "container":
			ru, ok := runes[base]
			if !ok {
				continue
			}
			u := Unit{Name: base + ".service", Kind: KindCore, File: f, Rune: ru.Name}
			if ru.Kind == model.KindOneShot {
				u.Kind = KindOneShot
			}
			if ru.Kind == model.KindSoulstone {
				u.Kind = KindSoulstone
				u.Covens = append([]string(nil), ru.Covens()...)
				sort.Strings(u.Covens)
			}
			r.Units = append(r.Units, u)
		}
	}
	for _, f := range slices.Sorted(maps.Keys(systemd)) {
		u := Unit{Name: f, Kind: KindHold, File: f, Soulstones: holds[f]}
		for _, c := range g.Covens() {
			if c.HasTarget && c.TargetName() == f {
				u.Kind, u.Covens, u.Soulstones = KindCoven, []string{c.Name}, append([]string(nil), c.Members...)
			}
		}
		r.Units = append(r.Units, u)
	}
	sort.SliceStable(r.Units, func(i, j int) bool {
		a, b := r.Units[i], r.Units[j]
		if KindRank(a.Kind) != KindRank(b.Kind) {
			return KindRank(a.Kind) < KindRank(b.Kind)
		}
		return a.Name < b.Name
	})
	return r
}

// KindRank orders unit kinds for output: pod, core, oneshot, coven, hold,
// soulstone.
func KindRank(kind string) int {
	kinds := []string{KindPod, KindCore, KindOneShot, KindCoven, KindHold, KindSoulstone}
	for i, k := range kinds {
		if k == kind {
			return i
		}
	}
	return len(kinds)
}

// Marshal encodes the record deterministically, indented, with a final
// newline.
func (r *Record) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode the bound record: %w", err)
	}
	return buf.Bytes(), nil
}

// ErrNotBound is returned by Read when nothing has been bound yet.
var ErrNotBound = errors.New("nothing is bound yet; run: lychd bind")

// Decode reads a record; path is only used in messages.
func Decode(data []byte, path string) (*Record, error) {
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("the bound record %s is damaged (%v); run: lychd bind", path, err)
	}
	if probe.Version != Version {
		return nil, fmt.Errorf("the bound record %s has layout version %d, and this lychd reads version %d; run lychd bind to record the bound state again", path, probe.Version, Version)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("the bound record %s is damaged (%v); run: lychd bind", path, err)
	}
	return &r, nil
}

// Read reads the record of the generation in dir (the binding site's
// current generation). A missing generation is ErrNotBound; a generation
// without a record was bound by an older lychd.
func Read(dir string) (*Record, error) {
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if _, derr := os.Stat(dir); derr == nil {
			return nil, fmt.Errorf("the bound generation %s has no %s (it was bound by an older lychd); run: lychd bind", dir, FileName)
		}
		return nil, ErrNotBound
	}
	if err != nil {
		return nil, fmt.Errorf("read the bound record: %w", err)
	}
	return Decode(data, path)
}

// Files returns the Files of the record in data, reading nothing else of
// it, so that a record of any version that has them can be trusted for
// what lychd wrote.
func Files(data []byte) (map[string]string, error) {
	var r struct {
		Files map[string]string `json:"files"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("the bound record is damaged: %w", err)
	}
	if r.Files == nil {
		return nil, errors.New("the bound record lists no files")
	}
	return r.Files, nil
}

// Digest is the hex sha256 the record keeps of a file's content.
func Digest(data []byte) string { return digest(data) }

func digest(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// Load reads the record of the generation the link dir points to (see
// Read) and when the bind switched to it: the link's modification time.
func Load(dir string) (*Record, time.Time, error) {
	r, err := Read(dir)
	if err != nil {
		return nil, time.Time{}, err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read the bound generation: %w", err)
	}
	return r, fi.ModTime(), nil
}

// Graph rebuilds the compatibility graph of the bound soulstones.
func (r *Record) Graph() (*covenant.Graph, error) {
	g, err := covenant.Build(r.Manifest.Runes, r.Manifest.Alliances)
	if err != nil {
		return nil, fmt.Errorf("the bound record's covens: %w; run: lychd bind", err)
	}
	return g, nil
}

// Coven returns the coven called name.
func (r *Record) Coven(name string) (Coven, bool) {
	i, ok := slices.BinarySearchFunc(r.Covens, name, func(c Coven, n string) int { return strings.Compare(c.Name, n) })
	if !ok {
		return Coven{}, false
	}
	return r.Covens[i], true
}

// Rune returns the rune called name.
func (r *Record) Rune(name string) (model.Rune, bool) {
	for _, ru := range r.Manifest.Runes {
		if ru.Name == name {
			return ru, true
		}
	}
	return model.Rune{}, false
}

// UnitNames returns the names of every unit, in Units order.
func (r *Record) UnitNames() []string {
	out := make([]string, len(r.Units))
	for i, u := range r.Units {
		out[i] = u.Name
	}
	return out
}
