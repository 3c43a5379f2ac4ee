package codex

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/lychd/lychd/sdk/wire"

	"github.com/pelletier/go-toml/v2"

	"github.com/lychd/lychd/internal/engine"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/validate"
)

// Names of the files and directories of a Codex.
const (
	MainFile      = "lychd.toml"
	SoulstonesDir = "soulstones"
	PortalsDir    = "portals"
)

// MaxFileSize is the largest Codex file Load reads (1 MiB).
const MaxFileSize = 1 << 20

// Pod defaults.
const (
	DefaultUserNS         = "keep-id"
	DefaultPublishAddress = "127.0.0.1"
)

// Codex is the part of the manifest the user writes: pod settings,
// alliances, soulstones and portals, plus the configuration handed on to the
// core plugin and to extensions.
type Codex struct {
	// Pod holds [pod] with defaults applied. Publish entries are complete
	// PublishPort= values: an entry without an address gets the
	// publish_address prefixed ("127.0.0.1:8080:80").
	Pod model.Pod
	// Alliances are the alliances of lychd.toml, as written.
	Alliances [][]string
	// Runes are the soulstones, sorted by name, each with Source
	// {Kind: codex, Name: "soulstones/FILE.toml", Line: line of its header}.
	Runes []model.Rune
	// Animators are the soulstones that declare capabilities or tags (kind
	// soulstone, Rune = Name) and all portals (kind portal), sorted by name.
	Animators []model.Animator
	// Engines maps the name of every soulstone that names an engine preset
	// to its resolution, which records what the preset filled
	// (engine.Resolved.Filled, shown by lychd bind --dry-run). It is never
	// nil.
	Engines map[string]engine.Resolved `json:"-"`
	// Extensions maps an extension name to its [extensions.NAME] table,
	// converted to JSON. It is never nil.
	Extensions map[string]json.RawMessage
	// Core is the [core] table converted to JSON, nil when absent.
	Core json.RawMessage
	// Assimilation holds the [assimilation] settings with defaults applied.
	Assimilation Assimilation
	// mainPositions are the lines of lychd.toml's keys (see KeyLine).
	mainPositions *positions
	// loader is kept while soulstones wait for ResolveEngines.
	loader *loader
}

// sort orders the runes and Animators by name.
func (c *Codex) sort() {
	sort.Slice(c.Runes, func(i, j int) bool { return c.Runes[i].Name < c.Runes[j].Name })
	sort.Slice(c.Animators, func(i, j int) bool { return c.Animators[i].Name < c.Animators[j].Name })
}

// Assimilation are the limits of the assimilation of extensions.
type Assimilation struct {
	// StartTimeout bounds the launch of one extension up to its first
	// answer (start_timeout_seconds, DefaultStartTimeout).
	StartTimeout time.Duration
	// Deadline bounds the whole assimilation of one extension
	// (deadline_seconds, DefaultDeadline).
	Deadline time.Duration
	// Parallel is how many extensions are assimilated at once (parallel,
	// DefaultParallel).
	Parallel int
}

// Defaults of the [assimilation] settings. These are the only definitions
// of lychd's defaults for assimilating extensions.
const (
	DefaultStartTimeout = wire.DefaultStartTimeout
	DefaultDeadline     = 30 * time.Second
	DefaultParallel     = 4
)

// DefaultAssimilation returns the assimilation settings used when
// lychd.toml sets none.
func DefaultAssimilation() Assimilation {
	return Assimilation{StartTimeout: DefaultStartTimeout, Deadline: DefaultDeadline, Parallel: DefaultParallel}
}

// Manifest returns the Codex part of the manifest: pod, alliances, runes and
// Animators. The slices are shared with c.
func (c *Codex) Manifest() model.Manifest {
	return model.Manifest{Pod: c.Pod, Alliances: c.Alliances, Runes: c.Runes, Animators: c.Animators}
}

// Load reads the Codex under dir (paths.Paths.CodexDir()): lychd.toml,
// soulstones/*.toml, portals/*.toml. A missing directory or file is an empty
// Codex with defaults. It returns the Codex part of the manifest, or an
// error of type Errors that lists every problem found, sorted by file, line
// and key. A soulstone whose engine neither lychd nor lychd.toml defines
// waits for ResolveEngines, since an extension may define it.
func Load(dir string) (*Codex, error) {
	l := &loader{
		dir:   dir,
		names: map[string]definition{},
		c: &Codex{
			Pod:          model.Pod{UserNS: DefaultUserNS, PublishAddress: DefaultPublishAddress},
			Extensions:   map[string]json.RawMessage{},
			Engines:      map[string]engine.Resolved{},
			Assimilation: DefaultAssimilation(),
		},
	}
	reg, err := engine.Builtin()
	if err != nil {
		return nil, err // the embedded presets are tested; this is a broken build
	}
	l.registry = reg
	if fi, err := os.Stat(dir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return l.c, nil
		}
		l.fileError(dir, fmt.Sprintf("cannot read the Codex directory: %v; check its permissions", unwrapPath(err)))
	} else if !fi.IsDir() {
		l.fileError(dir, "the Codex must be a directory holding lychd.toml, soulstones/ and portals/; move this file away")
	}
	if len(l.errs) == 0 {
		if d := l.readDoc(MainFile); d != nil {
			l.main(d)
		}
		for _, name := range l.listDir(SoulstonesDir) {
			if d := l.readDoc(name); d != nil {
				l.soulstones(d)
			}
		}
		for _, name := range l.listDir(PortalsDir) {
			if d := l.readDoc(name); d != nil {
				l.portals(d)
			}
		}
	}
	if len(l.errs) > 0 {
		l.errs.sort()
		return nil, l.errs
	}
	l.c.sort()
	if len(l.pending) > 0 {
		l.c.loader = l
	}
	return l.c, nil
}

// loader carries the state of one Load.
type loader struct {
	dir  string
	c    *Codex
	errs Errors
	// names maps soulstone and portal names to where they are defined;
	// both share the namespace of Animator names.
	names map[string]definition
	// keys counts the keys of the files read so far.
	keys int
	// registry holds the engine presets: the built-in ones and those of
	// lychd.toml's [presets.NAME] tables.
	registry *engine.Registry
	// pending are the soulstones that wait for extensions' presets.
	pending []pendingSoulstone
	// tally counts the soulstones and published ports against the
	// Sepulcher's limits.
	tally validate.Tally
}

func (l *loader) fileError(file, msg string) {
	l.errs = append(l.errs, &Error{File: file, Msg: msg})
}

// ignored reports whether a directory entry is an editor backup, swap or
// hidden file that Load skips without complaint.
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || // hidden, including .#lock and .x.swp
		strings.HasSuffix(name, "~") || // backups of most editors
		strings.HasSuffix(name, ".swp") || // vim swap
		(len(name) > 1 && strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#")) // emacs auto-save
}

// listDir returns the Codex-relative paths of the *.toml files in sub,
// reporting any other entry. A missing directory has no files.
func (l *loader) listDir(sub string) []string {
	full := filepath.Join(l.dir, sub)
	fi, err := os.Stat(full)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		l.fileError(sub, fmt.Sprintf("cannot read the directory: %v; check its permissions (chmod u+rx)", unwrapPath(err)))
		return nil
	case !fi.IsDir():
		l.fileError(sub, fmt.Sprintf("is not a directory; %s/ must be a directory of *.toml files, move this file away", sub))
		return nil
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		l.fileError(sub, fmt.Sprintf("cannot read the directory: %v; check its permissions (chmod u+rx)", unwrapPath(err)))
		return nil
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if ignored(name) {
			continue
		}
		rel := path.Join(sub, name)
		if !strings.HasSuffix(name, ".toml") {
			if e.IsDir() {
				l.fileError(rel, fmt.Sprintf("is a directory, and subdirectories are not read; move its files up into %s/ or move it out of %s/", sub, sub))
			} else {
				l.fileError(rel, fmt.Sprintf("is not a .toml file; lychd reads only %s/*.toml: rename it to end in .toml or move it out of %s/", sub, sub))
			}
			continue
		}
		files = append(files, rel)
	}
	return files
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readDoc reads and decodes one Codex file (rel is relative to the Codex
// directory, with forward slashes). It returns nil when the file is absent
// (lychd.toml only) or when it has problems, which are recorded.
func (l *loader) readDoc(rel string) *doc {
	data, err := readFile(filepath.Join(l.dir, filepath.FromSlash(rel)))
	if err != nil {
		switch {
		case err == errMissing && rel == MainFile:
			return nil // lychd.toml is optional
		case err == errMissing:
			l.fileError(rel, "disappeared while the Codex was read; run the command again")
		default:
			l.fileError(rel, err.Error())
		}
		return nil
	}
	// Positions first: they refuse a deep key before the decoder and
	// everything after it pay for it.
	pos, deep := indexPositions(data, MaxKeys-l.keys)
	if deep != nil {
		l.errs = append(l.errs, deep.error(rel))
		return nil
	}
	l.keys += pos.keys
	var values map[string]any
	if err := toml.Unmarshal(data, &values); err != nil {
		l.errs = append(l.errs, tomlError(rel, err))
		return nil
	}
	return &doc{file: rel, values: values, pos: pos, errs: &l.errs}
}

// errMissing is returned by readFile for a file that does not exist.
var errMissing = errors.New("file does not exist")

// readFile reads a regular file of at most MaxFileSize bytes. Its errors,
// except errMissing, say what is wrong and what to do.
func readFile(name string) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO must not wait for a writer. It changes
	// nothing for regular files.
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, lerr := os.Lstat(name); lerr == nil {
				return nil, errors.New("is a symbolic link to a missing file; fix or remove the link")
			}
			return nil, errMissing
		}
		return nil, fmt.Errorf("cannot open: %v; check its permissions (chmod u+r)", unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read: %v; check the file and its permissions", unwrapPath(err))
	case fi.IsDir():
		return nil, errors.New("is a directory, not a file; move it away")
	case !fi.Mode().IsRegular():
		return nil, errors.New("is not a regular file; replace it with a plain text file")
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read: %v; check the file and its permissions", unwrapPath(err))
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("is larger than %d bytes; a Codex file this large is surely not hand-written, check its content", MaxFileSize)
	}
	return data, nil
}

// tomlError turns a go-toml error into an Error with the line it names.
func tomlError(file string, err error) *Error {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		return &Error{File: file, Line: row, Msg: fmt.Sprintf("invalid TOML at column %d: %s; fix the syntax (see https://toml.io)", col, msg)}
	}
	return &Error{File: file, Line: 1, Msg: fmt.Sprintf("invalid TOML: %v; fix the syntax (see https://toml.io)", err)}
}

// define claims name for a soulstone or portal defined at src, reporting a
// name already defined elsewhere.
func (l *loader) define(d *doc, p keyPath, kind, name string, src model.Source) bool {
	if prev, dup := l.names[name]; dup {
		hint := "rename one of the two"
		if prev.kind != kind {
			hint = "soulstones and portals share one set of names, rename one of the two"
		}
		d.errorf(p, "already defined by the %s at %s; %s", prev.kind, prev.src, hint)
		return false
	}
	l.names[name] = definition{kind: kind, src: src}
	return true
}

// definition is where a soulstone or portal name was first defined.
type definition struct {
	kind string
	src  model.Source
}
