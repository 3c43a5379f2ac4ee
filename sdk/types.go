package sdk

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"
)

// ProtocolVersion is the major version of the lychd extension protocol this
// SDK speaks. It changes only on incompatible changes; fields added to
// messages keep it unchanged.
const ProtocolVersion = 1

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

// RuneKind distinguishes soulstones (members of covens) from always-on runes.
type RuneKind int

const (
	// Soulstone is an inference container that belongs to covens (the
	// default). Its unit is lychd-soulstone-NAME.
	Soulstone RuneKind = iota
	// AlwaysOn is a core-style member of lychd.pod: started with the pod, in
	// no coven, conflicting with nothing. Its unit is lychd-NAME.
	AlwaysOn
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
	// exceed.
	StartTimeout time.Duration
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
}

// Assimilation is the host's side of one assimilation, handed to
// Extension.Assimilate.
type Assimilation interface {
	// AddRune registers a container definition with the host.
	AddRune(ctx context.Context, r Rune) error
	// RegisterAnimator registers a logical provider with the host.
	RegisterAnimator(ctx context.Context, a Animator) error
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
