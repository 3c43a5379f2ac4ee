package site

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lychd/lychd/internal/paths"
)

// File is one unit file of a generation.
type File struct {
	// Name is a plain base name with a known suffix, e.g. "lychd.pod",
	// "lychd-soulstone-x.container" or "lychd-coven-vision.target".
	Name string
	// Data is the complete file content.
	Data []byte
}

// Generation is the complete desired set of unit files. Anything lychd
// installed earlier that is not in it is removed.
type Generation struct {
	// Quadlet files (.container, .pod, ...) become visible in the Quadlet
	// directory, under its lychd subdirectory.
	Quadlet []File
	// Systemd files (.target) become visible in the systemd user unit
	// directory.
	Systemd []File
	// Config files configure lychd's own containers (the Watchers'
	// prometheus.yml); they are written into the generation's config
	// directory, which a container mounts through "current", so that they
	// switch with the units. Base names ending in one of .yml, .yaml or
	// .json.
	Config []File
	// Record is the record of what is bound (package bound), written as
	// bound.json at the root of the generation; nil writes none. It must
	// list the Config files too.
	Record []byte
}

// Site is an installation target: the two binding sites and lychd's own
// store of generations. Build it with New; tests may fill it directly.
type Site struct {
	// QuadletDir is the Podman Quadlet user unit directory.
	QuadletDir string
	// SystemdDir is the systemd user unit directory.
	SystemdDir string
	// BindingsDir holds the generations, the current link and the lock.
	BindingsDir string
	// Home, when set, is replaced by "~" in the paths shown in plans.
	Home string
	// Hook, when not nil, is called with a stable step name before every
	// externally visible step (each write, fsync, mkdir, symlink, rename,
	// remove and the lock). Tests use it to inject crashes; nil in
	// production.
	Hook func(step string)
}

// New returns the Site for the user's directories.
func New(p paths.Paths) *Site {
	return &Site{
		QuadletDir:  filepath.Clean(p.QuadletDir()),
		SystemdDir:  filepath.Clean(p.SystemdUserDir()),
		BindingsDir: filepath.Clean(p.BindingsDir()),
		Home:        p.Home,
	}
}

// Change is one difference between what is installed and a Generation.
type Change struct {
	// Op is "create", "update" or "remove".
	Op string
	// Path is the affected path as the user sees it, with $HOME shown as
	// "~", e.g. "~/.config/containers/systemd/lychd/lychd.pod".
	Path string
	// Diff is a unified diff of the file content; empty for entries of
	// Plan.Internal.
	Diff string
}

// Plan is what Apply does (or did) to install a Generation.
type Plan struct {
	// Changes are the differences in what Quadlet and systemd see: unit
	// files created, updated or removed. Sorted by Path.
	Changes []Change
	// Internal are the steps that do not by themselves change any unit's
	// content: writing the new generation under BindingsDir, creating or
	// repairing lychd's symlinks, removing dangling links, old generations
	// and leftovers of an interrupted run. Paths already listed in Changes
	// are not repeated. When Changes is empty, what Quadlet and systemd
	// load is the same before and after Apply, so no daemon-reload is
	// needed. Sorted by Path.
	Internal []Change
}

// Empty reports whether the Generation is installed exactly as lychd would
// install it; Apply then writes nothing.
func (p Plan) Empty() bool { return len(p.Changes) == 0 && len(p.Internal) == 0 }

// Names of the entries lychd owns.
const (
	// QuadletLinkName is the stable symlink in the Quadlet directory that
	// points at the current generation's Quadlet files.
	QuadletLinkName = "lychd"
	// CurrentLinkName is the symlink in the bindings directory whose
	// replacement switches generations.
	CurrentLinkName = "current"
	currentName     = CurrentLinkName
	lockName        = "bind.lock"
	genPrefix       = "gen-"
	tmpSuffix       = ".lychd-tmp"
)

// quadletSuffixes are the unit types Podman Quadlet 5.4 reads.
var quadletSuffixes = []string{".container", ".pod", ".volume", ".network", ".kube", ".image", ".build"}

// systemdSuffixes are the unit types lychd places in the systemd directory.
var systemdSuffixes = []string{".target"}

// configSuffixes are the kinds of Config files.
var configSuffixes = []string{".yml", ".yaml", ".json"}

// validateName checks that name is a plain unit file base name with one of
// suffixes. kind names the list for the error message.
func validateName(kind, name string, suffixes []string) error {
	bad := func(why string) error {
		return fmt.Errorf("invalid %s file name %q: %s", kind, name, why)
	}
	switch {
	case name == "":
		return bad("empty")
	case len(name) > 255:
		return bad("longer than 255 bytes")
	case strings.ContainsRune(name, 0):
		return bad("contains a NUL byte")
	case strings.Contains(name, "/"):
		return bad("contains '/'; only base names are allowed")
	case name == "." || name == "..":
		return bad("not a file name")
	case strings.HasPrefix(name, "."):
		return bad("starts with '.'")
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(":-_.@", r)
		if !ok {
			return bad(fmt.Sprintf("contains %q; unit names use only letters, digits and \":-_.@\"", r))
		}
	}
	for _, suf := range suffixes {
		if strings.HasSuffix(name, suf) && len(name) > len(suf) {
			return nil
		}
	}
	return bad("does not end in one of " + strings.Join(suffixes, " "))
}

// validate checks every name in g and returns g as three name->content
// maps.
func validate(g Generation) (q, s, c map[string][]byte, err error) {
	build := func(kind string, files []File, suffixes []string) (map[string][]byte, error) {
		m := make(map[string][]byte, len(files))
		for _, f := range files {
			if err := validateName(kind, f.Name, suffixes); err != nil {
				return nil, err
			}
			if _, dup := m[f.Name]; dup {
				return nil, fmt.Errorf("%s file %q appears twice in the generation", kind, f.Name)
			}
			m[f.Name] = f.Data
		}
		return m, nil
	}
	if q, err = build("Quadlet", g.Quadlet, quadletSuffixes); err != nil {
		return nil, nil, nil, err
	}
	if s, err = build("systemd", g.Systemd, systemdSuffixes); err != nil {
		return nil, nil, nil, err
	}
	if c, err = build("config", g.Config, configSuffixes); err != nil {
		return nil, nil, nil, err
	}
	return q, s, c, nil
}

// display shows p with $HOME abbreviated to "~".
func (s *Site) display(p string) string {
	if s.Home != "" && s.Home != "/" {
		if rel, ok := strings.CutPrefix(p, filepath.Clean(s.Home)+"/"); ok {
			return "~/" + rel
		}
	}
	return p
}

// hook reports step to s.Hook.
func (s *Site) hook(step string) {
	if s.Hook != nil {
		s.Hook(step)
	}
}

// within reports whether p is base or lies under it (both clean).
func within(base, p string) bool {
	return p == base || strings.HasPrefix(p, base+"/")
}

// files turns a name->content map into a File list sorted by name.
func files(m map[string][]byte) []File {
	out := make([]File, 0, len(m))
	for n, d := range m {
		out = append(out, File{Name: n, Data: d})
	}
	slices.SortFunc(out, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return out
}
