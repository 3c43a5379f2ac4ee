package sdk

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/lychd/lychd/sdk/preset"
)

// ProtocolVersion is the version of the lychd extension protocol this SDK
// speaks. It changes when an older lychd would misread what an extension
// sends: a field that changes what lychd writes into a unit (version 2:
// Rune.HealthCmd, ShmSize, Memory, HostUser and the OneShot kind), which
// an older lychd would drop without a word. A newer lychd keeps speaking
// older versions.
const ProtocolVersion = 2

// Info describes an extension. Name is its identity in lychd (the name used
// by `lychd extension` commands and the [extensions.NAME] table of lychd.toml).
type Info struct {
	// Name is lower-case letters, digits and dashes, starting with a letter.
	Name string
	// Version is free-form, conventionally semantic (e.g. "1.2.0").
	Version string
	// Description is one line shown by `lychd extension list`.
	Description string
}

// RuneKind distinguishes soulstones (members of covens) from always-on
// and one-shot members of the pod.
type RuneKind int

const (
	// Soulstone is an inference container that belongs to covens (the
	// default). Its unit is lychd-soulstone-NAME.
	Soulstone RuneKind = iota
	// AlwaysOn is a core-style member of lychd.pod: started with the pod, in
	// no coven, conflicting with nothing. Its unit is lychd-NAME.
	AlwaysOn
	// OneShot is a member of lychd.pod that runs to completion: a task
	// such as a database migration that another unit needs done before
	// it starts. Its unit is lychd-NAME.service (Type=oneshot), which
	// nothing starts but a unit that names it in Requires= (and After=):
	// systemd runs the container in the foreground, counts the unit
	// started when the command exits with status 0, and fails the
	// requiring unit's start otherwise. It is not started with the pod,
	// never restarted, in no coven, and conflicts with nothing. It may
	// not declare Groups, a Port (ExposePort, HostPort) or a HealthCmd,
	// and needs an Image.
	//
	// The unit does not stay active after the command exits (no
	// RemainAfterExit=): every start of a unit that requires it runs the
	// task again, so a restarted Vessel finds its migrations applied even
	// if the database changed in between, and `lychd status` shows the
	// one-shot inactive (done) rather than running. Write the task so that
	// running it twice is harmless.
	OneShot
)

// Rune is a container definition: the same fields as a soulstone in the
// user's Codex.
type Rune struct {
	// Name is lower-case letters, digits and dashes, starting with a letter.
	Name string
	Kind RuneKind
	// Description becomes the unit's Description=.
	Description string
	// Image is the container image reference (required).
	Image string
	// Groups are the covens the soulstone belongs to; none means a coven of
	// one named after the rune. Must be empty for AlwaysOn runes.
	Groups []string
	// After, Wants and Requires are full systemd unit names, e.g.
	// "lychd-soulstone-vision-preprocessor.service".
	After    []string
	Wants    []string
	Requires []string
	// Port is the internal port the rune serves on inside the pod (8081 is the
	// soulstone convention); 0 for none.
	Port int
	// ExposePort publishes Port on the host through the pod.
	ExposePort bool
	// HostPort is the host side of the published port; 0 means Port.
	HostPort int
	// Devices are CDI device names such as "nvidia.com/gpu=all".
	Devices []string
	// Volumes are Podman volume specs, "SRC:DST[:OPTIONS]".
	Volumes []string
	// Environment variables for the container.
	Environment map[string]string
	// Exec is the argument vector passed to the image's entrypoint.
	Exec []string
	// Secrets are Podman secrets the container receives, each "NAME" (the
	// file /run/secrets/NAME), "NAME,target=PATH" or
	// "NAME,type=env,target=VAR" (see validate.ParseSecret). Only the
	// names reach the unit; the user creates each secret with
	// `podman secret create NAME -`.
	Secrets []string
	// StartTimeout is how long systemd lets the container start, pulling
	// its image on first start included (TimeoutStartSec=); whole seconds
	// up to 24h, 0 for systemd's default (90s), which a large image can
	// exceed. For a OneShot it bounds the whole run.
	StartTimeout time.Duration
	// HealthCmd is a health check Podman runs inside the container, in
	// exec form: the program and its arguments, no shell (write
	// {"sh", "-c", "..."} for one), each argument on one line. With it
	// the unit counts as started only once the check passes (Quadlet's
	// Notify=healthy), so `lychd start` and the units ordered after the
	// rune wait until it answers, as for a Codex soulstone's health_cmd
	// (checked every second while starting, then every 10 s; three
	// failures in a row make the container unhealthy). Empty for none; a
	// OneShot has none.
	HealthCmd []string
	// ShmSize is the /dev/shm size the container needs, e.g. "16g" (a
	// number with one unit b, k, m or g, as a soulstone's shm_size).
	// Members of the pod share its /dev/shm, so the pod gets the largest
	// size any rune needs. Empty for Podman's default (64m).
	ShmSize string
	// Memory is the container's memory limit, e.g. "16g" (Podman's
	// --memory, at least 6m, as a soulstone's memory). Empty for none.
	Memory string
	// HostUser runs the container's process as the user who runs lychd
	// (Quadlet User=%U and Group=%G: that user's uid and primary gid).
	// The pod maps the host user to the same uid and gid inside
	// (UserNS=keep-id), so files the container writes into a bind mount
	// belong to that user on the host, and files only that user may
	// read are readable inside. False keeps the image's own user (root
	// inside the container unless the image says otherwise).
	HostUser bool
}

// AnimatorKind says how an Animator is served.
type AnimatorKind int

const (
	// AnimatorSoulstone is served by a rune of the same extension, named in
	// Animator.Rune.
	AnimatorSoulstone AnimatorKind = iota
	// AnimatorPortal is a remote API at Animator.URL; it has no rune.
	AnimatorPortal
)

// Animator is a logical provider the Dispatcher routes intents to.
type Animator struct {
	Name string
	Kind AnimatorKind
	// Rune names the rune that manifests a soulstone Animator; empty means
	// the rune with the Animator's own name.
	Rune string
	// URL is the endpoint of a portal.
	URL string
	// Capabilities are calling conventions, e.g. "OpenAIChatCompletions".
	Capabilities []string
	// Tags are abilities used for routing, e.g. "vision", "ocr".
	Tags []string
	// Secrets are the names of Podman secrets a portal needs, e.g. its
	// API key: the Vessel, which calls the portal, receives each as the
	// file /run/secrets/NAME. A soulstone Animator has none (its rune's
	// Secrets reach its container).
	Secrets []string
}

// Assimilation is the host's side of one assimilation, handed to
// Extension.Assimilate.
type Assimilation interface {
	// AddRune registers a container definition with the host.
	AddRune(ctx context.Context, r Rune) error
	// RegisterAnimator registers a logical provider with the host.
	RegisterAnimator(ctx context.Context, a Animator) error
	// AddPreset registers an inference-engine preset called name, which a
	// soulstone of the user's Codex then uses with engine = "NAME" (see
	// docs/engines.md and package preset). A name lychd already has (a
	// built-in preset, one of lychd.toml, one of another extension) is
	// refused when lychd binds.
	AddPreset(ctx context.Context, name string, p preset.Preset) error
	// Config decodes the extension's [extensions.NAME] table from lychd.toml
	// into v (a pointer), as encoding/json would with json struct tags,
	// except that a key v has no field for is an error (a misspelt key is
	// reported, not ignored). An absent table leaves v unchanged, so set
	// defaults in v before calling Config.
	Config(v any) error
	// Logger returns a logger whose lines reach the host attributed to the
	// extension.
	Logger() hclog.Logger
}

// Extension is implemented by every lychd extension.
type Extension interface {
	// Info describes the extension.
	Info() Info
	// Assimilate registers the extension's runes and Animators.
	Assimilate(ctx context.Context, a Assimilation) error
}
