// Package model holds the flattened manifest that every part of lychd shares:
// the runes (container definitions), portals and Animators gathered from the
// core, the user's Codex and installed extensions, plus the pod settings and
// alliances from lychd.toml.
//
// The model is plain data. Loading (package codex), assimilation (package
// host), compilation (package scribe) and orchestration only read or fill it.
package model

import (
	"fmt"
	"sort"
	"time"

	"github.com/lychd/lychd/internal/unitname"
	"github.com/lychd/lychd/sdk/validate"
)

// SourceKind says where a definition came from.
type SourceKind string

// The three places a definition can come from.
const (
	SourceCore      SourceKind = "core"
	SourceCodex     SourceKind = "codex"
	SourceExtension SourceKind = "extension"
)

// Source locates a definition so that errors can name it: a Codex file and
// line, an extension by name, or the core.
type Source struct {
	Kind SourceKind `json:"kind"`
	// Name is the Codex file path, the extension name, or "core".
	Name string `json:"name"`
	// Line is the 1-based line in a Codex file, 0 when unknown.
	Line int `json:"line,omitempty"`
}

// String renders the source for error messages, e.g.
// "codex soulstones/vision.toml:4", "extension vision-organ" or "core".
func (s Source) String() string {
	switch s.Kind {
	case SourceCodex:
		if s.Line > 0 {
			return fmt.Sprintf("%s:%d", s.Name, s.Line)
		}
		return s.Name
	case SourceExtension:
		return "extension " + s.Name
	case SourceCore:
		return "core"
	}
	return string(s.Kind) + " " + s.Name
}

// RuneKind distinguishes always-on members of the pod from soulstones that
// belong to covens.
type RuneKind string

// Rune kinds.
const (
	// KindCore is an always-on member of lychd.pod: in no coven, conflicting
	// with nothing, started with the pod. Unit name lychd-NAME.
	KindCore RuneKind = "core"
	// KindSoulstone is an inference container that belongs to one or more
	// covens. Unit name lychd-soulstone-NAME.
	KindSoulstone RuneKind = "soulstone"
	// KindOneShot is a member of lychd.pod that runs to completion
	// (Type=oneshot) when a unit that requires it starts: in no coven,
	// conflicting with nothing, not started with the pod, never
	// restarted. Unit name lychd-NAME, like a core rune's.
	KindOneShot RuneKind = "oneshot"
)

// EnvVar is one environment variable, kept in a deterministic order.
type EnvVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Rune is one container definition: the physical side of a soulstone or a
// core service. Capabilities and tags live on Animators, not here.
type Rune struct {
	Name        string   `json:"name"`
	Kind        RuneKind `json:"kind"`
	Description string   `json:"description,omitempty"`
	Image       string   `json:"image"`
	// Groups are the covens of a soulstone. Empty means a coven of one named
	// after the soulstone. Always empty for core runes.
	Groups []string `json:"groups,omitempty"`
	// After, Wants and Requires are full systemd unit names passed through to
	// the [Unit] section.
	After    []string `json:"after,omitempty"`
	Wants    []string `json:"wants,omitempty"`
	Requires []string `json:"requires,omitempty"`
	// Port is the internal port the rune listens on inside the pod's shared
	// network namespace; 0 means none declared.
	Port int `json:"port,omitempty"`
	// ExposePort publishes Port on the host through the pod's PublishPort.
	ExposePort bool `json:"expose_port,omitempty"`
	// HostPort is the host side of the published port (defaults to Port).
	HostPort int `json:"host_port,omitempty"`
	// Devices are CDI qualified device names (vendor.com/class=name).
	Devices []string `json:"devices,omitempty"`
	// Volumes are Podman volume specs (SRC:DST[:OPTIONS]).
	Volumes     []string `json:"volumes,omitempty"`
	Environment []EnvVar `json:"environment,omitempty"`
	// Exec is the argument vector passed to the image's entrypoint.
	Exec []string `json:"exec,omitempty"`
	// Secrets are the Podman secrets the container receives (Secret=
	// lines): names and targets, never values.
	Secrets []Secret `json:"secrets,omitempty"`
	// StartTimeout is the service's TimeoutStartSec= (whole seconds); 0
	// leaves systemd's default.
	StartTimeout time.Duration `json:"start_timeout_ns,omitempty"`
	// Engine is the inference-engine preset the soulstone was filled from
	// (see package engine); empty when it names its image itself.
	Engine string `json:"engine,omitempty"`
	// Model is the model reference the engine loads: a Hugging Face id or
	// a path inside the container.
	Model string `json:"model,omitempty"`
	// HealthCmd is the health check Podman runs inside the container,
	// without a shell; empty means no health check. With one, the unit
	// reports started only once the check passes (Quadlet Notify=healthy).
	HealthCmd []string `json:"health_cmd,omitempty"`
	// HealthInterval, HealthTimeout and HealthStartPeriod tune the check
	// (whole seconds); HealthRetries is how many failures in a row make
	// the container unhealthy. Zero values leave Podman's defaults.
	HealthInterval    time.Duration `json:"health_interval_ns,omitempty"`
	HealthTimeout     time.Duration `json:"health_timeout_ns,omitempty"`
	HealthStartPeriod time.Duration `json:"health_start_period_ns,omitempty"`
	HealthRetries     int           `json:"health_retries,omitempty"`
	// ShmSize is the /dev/shm size the rune needs ("16g"). Containers of
	// the pod share its /dev/shm, so the pod gets the largest.
	ShmSize string `json:"shm_size,omitempty"`
	// Memory is the container's memory limit ("16g"); empty for none.
	Memory string `json:"memory,omitempty"`
	// Resident marks a soulstone that runs at boot beside everything: in
	// no coven, conflicting with nothing, started with the pod. It stays
	// a soulstone (unit lychd-soulstone-NAME, may back an Animator).
	Resident bool `json:"resident,omitempty"`
	// HostUser runs the container as the user who runs lychd (Quadlet
	// User=%U, Group=%G); the pod maps that user to the same ids.
	HostUser bool   `json:"host_user,omitempty"`
	Source   Source `json:"source"`
}

// AlwaysOn reports whether the rune runs beside everything, started with
// the pod: core runes and resident soulstones.
func (r *Rune) AlwaysOn() bool {
	return r.Kind == KindCore || (r.Kind == KindSoulstone && r.Resident)
}

// InCoven reports whether the rune belongs to covens: a soulstone that is
// not resident. The others (core runes, residents, one-shots) conflict
// with nothing.
func (r *Rune) InCoven() bool {
	return r.Kind == KindSoulstone && !r.Resident
}

// Secret is one Podman secret a container receives.
type Secret struct {
	// Name is the Podman secret's name (validate.SecretName).
	Name string `json:"name"`
	// Type is validate.SecretMount (a file) or validate.SecretEnv (an
	// environment variable).
	Type string `json:"type"`
	// Target is the file (empty for /run/secrets/NAME) or the variable.
	Target string `json:"target,omitempty"`
}

// String is the secret in Podman's --secret form, the value of Quadlet's
// Secret= key.
func (s Secret) String() string {
	return validate.SecretRef{Name: s.Name, Type: s.Type, Target: s.Target}.String()
}

// ParseSecrets converts secrets that validate.Secret accepted; an entry it
// would refuse is left out.
func ParseSecrets(entries []string) []Secret {
	var out []Secret
	for _, e := range entries {
		ref, err := validate.ParseSecret(e)
		if err != nil {
			continue
		}
		out = append(out, Secret{Name: ref.Name, Type: ref.Type, Target: ref.Target})
	}
	return out
}

// SecretNames returns the names of every Podman secret the manifest's
// units need, sorted and each once: the runes' secrets and the portals'
// (which the Vessel receives).
func (m *Manifest) SecretNames() []string {
	seen := map[string]bool{}
	var out []string
	add := func(ss []Secret) {
		for _, s := range ss {
			if !seen[s.Name] {
				seen[s.Name] = true
				out = append(out, s.Name)
			}
		}
	}
	for _, r := range m.Runes {
		add(r.Secrets)
	}
	for _, a := range m.Animators {
		add(a.Secrets)
	}
	sort.Strings(out)
	return out
}

// Covens returns the covens of a soulstone: its groups, or a coven of one
// named after it. Core runes, resident soulstones and one-shots have none.
func (r *Rune) Covens() []string {
	if !r.InCoven() {
		return nil
	}
	if len(r.Groups) == 0 {
		return []string{r.Name}
	}
	return r.Groups
}

// UnitBase is the unit name without suffix: lychd-soulstone-NAME for
// soulstones, lychd-NAME for core runes and one-shots (see package
// unitname).
func (r *Rune) UnitBase() string {
	if r.Kind == KindSoulstone {
		return unitname.SoulstoneBase(r.Name)
	}
	return unitname.AlwaysOnBase(r.Name)
}

// ServiceName is the systemd service Quadlet generates for the rune.
func (r *Rune) ServiceName() string { return r.UnitBase() + unitname.ServiceSuffix }

// ContainerFile is the rune's Quadlet file.
func (r *Rune) ContainerFile() string { return r.UnitBase() + unitname.ContainerSuffix }

// AnimatorKind says whether an Animator is served by a local rune or a remote
// portal.
type AnimatorKind string

// Animator kinds.
const (
	AnimatorSoulstone AnimatorKind = "soulstone"
	AnimatorPortal    AnimatorKind = "portal"
)

// Animator is a logical provider the Dispatcher can route to.
type Animator struct {
	Name string       `json:"name"`
	Kind AnimatorKind `json:"kind"`
	// Rune names the rune that manifests a soulstone Animator (usually the
	// same as Name). Empty for portals.
	Rune string `json:"rune,omitempty"`
	// URL is the remote endpoint of a portal.
	URL          string   `json:"url,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	// Secrets of a portal (its API key) are mounted into the Vessel, the
	// process that calls the portal, as files /run/secrets/NAME.
	Secrets []Secret `json:"secrets,omitempty"`
	Source  Source   `json:"source"`
}

// Pod holds the lychd.pod settings from lychd.toml.
type Pod struct {
	// UserNS is the pod's user namespace mode (default keep-id).
	UserNS string `json:"userns"`
	// PublishAddress is the host address exposed ports bind to
	// (default 127.0.0.1).
	PublishAddress string `json:"publish_address"`
	// Publish are extra PublishPort= values for the pod.
	Publish []string `json:"publish,omitempty"`
}

// Manifest is everything lychd knows about the Sepulcher after loading the
// Codex and assimilating extensions.
type Manifest struct {
	Pod       Pod        `json:"pod"`
	Alliances [][]string `json:"alliances"`
	Runes     []Rune     `json:"runes"`
	Animators []Animator `json:"animators"`
}

// SortedRunes returns the runes ordered by unit name, the order every output
// uses.
func (m *Manifest) SortedRunes() []Rune {
	out := append([]Rune(nil), m.Runes...)
	sort.Slice(out, func(i, j int) bool { return out[i].UnitBase() < out[j].UnitBase() })
	return out
}
