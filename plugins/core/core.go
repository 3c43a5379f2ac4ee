// Package core is lychd's core extension: the runes every Sepulcher has,
// the Vessel (lychd itself), the migrate one-shot that upgrades the
// database schema before each start of the Vessel, the Phylactery
// (PostgreSQL with pgvector) and the Oculus (Arize Phoenix tracing), which
// [core.oculus] enabled = false switches off.
//
// It is an ordinary sdk.Extension named "core" that lychd compiles in and
// serves in-process through wire.InProcess, with the [core] table of
// lychd.toml as its config (see Config). It registers runes only, no
// Animators.
package core

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/lychd/lychd/internal/unitname"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/validate"
)

// Name is the core extension's name, and the name of its config table.
const Name = "core"

// Version is the core extension's version, reported in its Info.
const Version = "1.0.0"

// Defaults for Config.
const (
	DefaultVesselImage     = "ghcr.io/hexanomicon/lychd:latest"
	DefaultPhylacteryImage = "docker.io/pgvector/pgvector:pg18-trixie"
	DefaultOculusImage     = "docker.io/arizephoenix/phoenix:latest"
	// VesselPort is the port the Vessel serves on inside the pod.
	VesselPort = 8000
	// VesselStartTimeout is the Vessel's TimeoutStartSec=.
	VesselStartTimeout = 300 * time.Second
	// DefaultVesselHostPort is where the Vessel is published on the host.
	DefaultVesselHostPort = 7134
	// PhylacteryPort is PostgreSQL's port inside the pod (never published).
	PhylacteryPort = 5432
	// OculusPort is Phoenix's UI and HTTP collector port inside the pod.
	OculusPort = 6006
	// OculusOTLPEndpoint is where a pod member sends OpenTelemetry traces
	// over OTLP/HTTP: the members share the pod's network namespace, and
	// Phoenix accepts OTLP/HTTP at /v1/traces on its UI port (OTLP/gRPC on
	// 4317).
	OculusOTLPEndpoint = "http://127.0.0.1:6006"
)

// The core's Podman secrets, which `lychd init` creates from random values.
// Each reaches its containers as the file /run/secrets/NAME.
const (
	// PhylacteryPasswordSecret holds the password of the Phylactery's
	// database user; the Phylactery and the Vessel receive it.
	PhylacteryPasswordSecret = "lychd-phylactery-password"
	// VesselSecretKeySecret holds the key the Vessel signs its sessions
	// with.
	VesselSecretKeySecret = "lychd-vessel-secret-key"
)

// The Phylactery's database and user, the upstream Vessel's defaults.
const (
	PhylacteryDatabase = "lychd"
	PhylacteryUser     = "lich"
)

// Where the Codex and the Crypt are on the host, as the core's units write
// them (%h is the user's home, which systemd fills in): upstream LychD's
// PATH_CODEX_ROOT and PATH_CRYPT_ROOT, with the default XDG directories.
// The Vessel sees each at the same path, and its HOME and XDG variables
// say so.
const (
	// CodexHome is the Codex, ~/.config/lychd.
	CodexHome = "%h/.config/lychd"
	// CryptHome is the Crypt, ~/.local/share/lychd.
	CryptHome = "%h/.local/share/lychd"
)

// The Vessel's view of the host: the directories it mounts, each at the
// same path inside, read-write (true) or read-only, as upstream's Vessel
// unit mounts them (PATH_CODEX_ROOT, PATH_LAB_DIR, PATH_CORE_DIR,
// PATH_EXTENSIONS_DIR and the Host Reactor's inbox and journal).
var vesselMounts = []struct {
	dir       string
	readWrite bool
}{
	{CodexHome, false},
	{CryptHome + "/lab", true},
	{CryptHome + "/core", false},
	{CryptHome + "/extensions", false},
	{CryptHome + "/triggers/inbox", true},
	{CryptHome + "/triggers/journal", false},
}

// vesselPathEnv puts the Vessel's home and XDG base directories where the
// host has them (the defaults under %h), so that the paths it derives for
// the Codex and the Crypt are the mounted ones: upstream's runtime path
// environment. The values use %h; the scribe writes core environment with
// systemd specifiers kept.
var vesselPathEnv = map[string]string{
	"HOME":            "%h",
	"XDG_CONFIG_HOME": "%h/.config",
	"XDG_DATA_HOME":   "%h/.local/share",
	"XDG_CACHE_HOME":  "%h/.cache",
}

// PhylacteryData is the Phylactery's host directory, mounted at
// /var/lib/postgresql, the postgres 18 image's VOLUME: the image keeps its
// cluster in the subdirectory 18/docker (PGDATA), so a later major version
// sits beside it for pg_upgrade --link.
const PhylacteryData = CryptHome + "/phylactery"

// Secrets are the Podman secrets the core runes need, sorted.
func Secrets() []string { return []string{PhylacteryPasswordSecret, VesselSecretKeySecret} }

// secretFile is where Podman puts a mounted secret in the container.
func secretFile(name string) string { return "/run/secrets/" + name }

// Config is the [core] table of lychd.toml. Every key is optional:
//
//	[core.vessel]
//	image = "ghcr.io/hexanomicon/lychd:1.4"
//	host_port = 7134
//	devices = ["nvidia.com/gpu=all"]
//	library_sources = ["%h/Documents/Books"]
//
//	[core.phylactery]
//	image = "docker.io/pgvector/pgvector:pg18-trixie"
//
//	[core.oculus]
//	enabled = true     # false: no Oculus, and no tracing endpoint for the Vessel
//	image = "docker.io/arizephoenix/phoenix:latest"
//	host_port = 6006   # 0 keeps the Oculus inside the pod
type Config struct {
	Vessel     VesselConfig   `json:"vessel"`
	Phylactery ServiceConfig  `json:"phylactery"`
	Oculus     OculusConfig   `json:"oculus"`
	Watchers   WatchersConfig `json:"watchers"`
}

// VesselConfig is the [core.vessel] table.
type VesselConfig struct {
	// Image overrides DefaultVesselImage.
	Image string `json:"image"`
	// HostPort is where the Vessel's port 8000 is published on the host
	// (default 7134).
	HostPort int `json:"host_port"`
	// Devices are CDI device names for the Vessel (default none).
	Devices []string `json:"devices"`
	// LibrarySources are host directories mounted read-only as reference
	// data, each at %h/work/library/BASENAME inside the Vessel.
	LibrarySources []string `json:"library_sources"`
}

// ServiceConfig is a core service's table.
type ServiceConfig struct {
	// Image overrides the service's default image.
	Image string `json:"image"`
}

// OculusConfig is the [core.oculus] table.
type OculusConfig struct {
	// Enabled switches the Oculus off when false (default true).
	Enabled *bool `json:"enabled"`
	// Image overrides DefaultOculusImage.
	Image string `json:"image"`
	// HostPort publishes the Phoenix UI on the host. Absent means 6006; 0
	// keeps it inside the pod.
	HostPort *int `json:"host_port"`
}

// Extension is the core extension. The zero value is ready to use.
type Extension struct{}

// New returns the core extension.
func New() *Extension { return &Extension{} }

var _ sdk.Extension = (*Extension)(nil)

// Info describes the core extension.
func (*Extension) Info() sdk.Info {
	return sdk.Info{Name: Name, Version: Version, Description: "Core runes: the Vessel, the Phylactery and the Oculus"}
}

// Assimilate decodes the [core] table and adds the core runes.
func (e *Extension) Assimilate(ctx context.Context, a sdk.Assimilation) error {
	var cfg Config
	if err := a.Config(&cfg); err != nil {
		return fmt.Errorf("the [core] table of lychd.toml: %w", err)
	}
	runes, err := Runes(cfg)
	if err != nil {
		return err
	}
	watchers, err := WatchersRunes(cfg.Watchers)
	if err != nil {
		return err
	}
	runes = append(runes, watchers...)
	for _, r := range runes {
		if err := a.AddRune(ctx, r); err != nil {
			return fmt.Errorf("adding core rune %q: %w", r.Name, err)
		}
	}
	return nil
}

// Runes returns the core runes for cfg: vessel, the migrate one-shot it
// requires, phylactery and, unless it is switched off, oculus.
func Runes(cfg Config) ([]sdk.Rune, error) {
	oculusOn := cfg.Oculus.Enabled == nil || *cfg.Oculus.Enabled
	vessel, err := vesselRune(cfg.Vessel, oculusOn)
	if err != nil {
		return nil, err
	}
	runes := []sdk.Rune{vessel, migrateRune(vessel.Image), phylacteryRune(cfg.Phylactery)}
	if !oculusOn {
		return runes, nil
	}
	oculus, err := oculusRune(cfg.Oculus)
	if err != nil {
		return nil, err
	}
	return append(runes, oculus), nil
}

// vesselRune is the Vessel; with the Oculus on, its OpenTelemetry SDK is
// pointed at the Oculus's OTLP/HTTP collector inside the pod (the
// standard OTEL_EXPORTER_OTLP_* variables).
func vesselRune(c VesselConfig, oculus bool) (sdk.Rune, error) {
	const table = "the [core.vessel] table of lychd.toml"
	hostPort := c.HostPort
	if hostPort == 0 {
		hostPort = DefaultVesselHostPort
	}
	if err := validate.Port(hostPort); err != nil {
		return sdk.Rune{}, fmt.Errorf("%s: host_port: %w", table, err)
	}
	for _, d := range c.Devices {
		if err := validate.Device(d); err != nil {
			return sdk.Rune{}, fmt.Errorf("%s: devices: %w", table, err)
		}
	}
	var volumes []string
	for _, m := range vesselMounts {
		mode := "ro"
		if m.readWrite {
			mode = "rw"
		}
		volumes = append(volumes, m.dir+":"+m.dir+":"+mode+",Z")
	}
	seen := map[string]string{}
	for _, src := range c.LibrarySources {
		clean := path.Clean(src)
		// The source is written into the Vessel's unit as is (core volumes
		// may start with %h), so the rest gets the checks of any host path.
		hostPath, home := strings.CutPrefix(clean, "%h")
		if !strings.HasPrefix(hostPath, "/") || (home && hostPath == "/") {
			return sdk.Rune{}, fmt.Errorf("%s: library source %q must be an absolute path or start with %%h/", table, src)
		}
		if err := validate.HostPath(hostPath); err != nil {
			return sdk.Rune{}, fmt.Errorf("%s: library source %q: %w", table, src, err)
		}
		base := path.Base(clean)
		if base == "/" || base == "." || base == "%h" {
			return sdk.Rune{}, fmt.Errorf("%s: library source %q has no directory name to mount it under", table, src)
		}
		if prev, dup := seen[base]; dup {
			return sdk.Rune{}, fmt.Errorf("%s: library sources %q and %q would both mount at %%h/work/library/%s; rename one directory", table, prev, src, base)
		}
		seen[base] = src
		volumes = append(volumes, fmt.Sprintf("%s:%%h/work/library/%s:ro,Z", clean, base))
	}
	env := appEnv()
	if oculus {
		env["OTEL_EXPORTER_OTLP_ENDPOINT"] = OculusOTLPEndpoint
		env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
	}
	return sdk.Rune{
		Name:        validate.CoreVessel,
		Kind:        sdk.AlwaysOn,
		Description: "The LychD Daemon Vessel",
		Image:       orDefault(c.Image, DefaultVesselImage),
		Wants:       []string{"network-online.target", unitname.AlwaysOnService(validate.CorePhylactery)},
		// The schema is upgraded, by the migrate one-shot, before every
		// start of the Vessel; a failed migration fails the start.
		Requires: []string{unitname.AlwaysOnService(validate.CoreMigrate)},
		After: []string{"network-online.target", unitname.AlwaysOnService(validate.CorePhylactery),
			unitname.AlwaysOnService(validate.CoreMigrate)},
		HostUser:    true,
		Port:        VesselPort,
		ExposePort:  true,
		HostPort:    hostPort,
		Devices:     append([]string(nil), c.Devices...),
		Volumes:     volumes,
		Environment: env,
		Secrets:     []string{PhylacteryPasswordSecret, VesselSecretKeySecret},
		// The spec's TimeoutStartSec=300: the Vessel runs its migrations
		// before it reports ready, and its first start pulls the image.
		StartTimeout: VesselStartTimeout,
	}, nil
}

// MigrateCommand is what the migrate one-shot runs in the Vessel's image:
// wait up to 60 s for the Phylactery, then upgrade its schema to the
// newest revision without asking.
var MigrateCommand = []string{"lychd", "database", "--wait-seconds", "60", "upgrade", "head", "--no-prompt"}

// migrateRune is the one-shot the Vessel requires: the Vessel's image
// running MigrateCommand, as the host user, with what the command reads
// (the database settings and secrets, the Codex, the core and the
// installed extensions, all read-only).
// appEnv is the environment of the Vessel's image, for the Vessel and the
// migrate one-shot alike: what upstream's lychd.config.settings and
// lychd.db.factory read. Its paths (home and XDG directories at the
// host's, through %h), the database through the pod's localhost, the
// password and the signing key from secret files.
func appEnv() map[string]string {
	env := map[string]string{
		"SERVER__DATABASE__HOST":     "localhost",
		"SERVER__DATABASE__PORT":     fmt.Sprint(PhylacteryPort),
		"SERVER__DATABASE__USER":     PhylacteryUser,
		"SERVER__DATABASE__DATABASE": PhylacteryDatabase,
		"LYCHD_DB_PASSWORD_FILE":     secretFile(PhylacteryPasswordSecret),
		"LYCHD_APP_SECRET_KEY_FILE":  secretFile(VesselSecretKeySecret),
	}
	for name, value := range vesselPathEnv {
		env[name] = value
	}
	return env
}

func migrateRune(image string) sdk.Rune {
	return sdk.Rune{
		Name:        validate.CoreMigrate,
		Kind:        sdk.OneShot,
		Description: "The LychD Phylactery migration gate",
		Image:       image,
		Wants:       []string{unitname.AlwaysOnService(validate.CorePhylactery)},
		Requires:    []string{unitname.AlwaysOnService(validate.CorePhylactery)},
		After:       []string{unitname.AlwaysOnService(validate.CorePhylactery)},
		Volumes: []string{
			CodexHome + ":" + CodexHome + ":ro,Z",
			CryptHome + "/core:" + CryptHome + "/core:ro,Z",
			CryptHome + "/extensions:" + CryptHome + "/extensions:ro,Z",
		},
		Environment: appEnv(),
		Secrets:     []string{PhylacteryPasswordSecret, VesselSecretKeySecret},
		Exec:        append([]string(nil), MigrateCommand...),
		HostUser:    true,
		// The first start pulls the Vessel's image; the command itself
		// waits at most 60 s for the database.
		StartTimeout: VesselStartTimeout,
	}
}

func phylacteryRune(c ServiceConfig) sdk.Rune {
	return sdk.Rune{
		Name:        validate.CorePhylactery,
		Kind:        sdk.AlwaysOn,
		Description: "The LychD Phylactery (PostgreSQL with pgvector)",
		Image:       orDefault(c.Image, DefaultPhylacteryImage),
		Port:        PhylacteryPort,
		// U: Podman gives the directory to the container's user, so
		// the image's entrypoint owns what it creates there. The image's
		// default PGDATA is kept: with 18 and later, its entrypoint refuses
		// to start when /var/lib/postgresql/data is a mount and PGDATA is
		// the default, as upstream's mount there would be.
		Volumes: []string{PhylacteryData + ":/var/lib/postgresql:U,Z"},
		Environment: map[string]string{
			"POSTGRES_DB":   PhylacteryDatabase,
			"POSTGRES_USER": PhylacteryUser,
			// The postgres image reads the password from this file when it
			// initialises the database (password authentication).
			"POSTGRES_PASSWORD_FILE": secretFile(PhylacteryPasswordSecret),
		},
		Secrets: []string{PhylacteryPasswordSecret},
	}
}

func oculusRune(c OculusConfig) (sdk.Rune, error) {
	hostPort := OculusPort
	if c.HostPort != nil {
		hostPort = *c.HostPort
	}
	if hostPort != 0 {
		if err := validate.Port(hostPort); err != nil {
			return sdk.Rune{}, fmt.Errorf("the [core.oculus] table of lychd.toml: host_port: %w", err)
		}
	}
	return sdk.Rune{
		Name:        validate.CoreOculus,
		Kind:        sdk.AlwaysOn,
		Description: "The LychD Oculus (Arize Phoenix tracing)",
		Image:       orDefault(c.Image, DefaultOculusImage),
		Port:        OculusPort,
		ExposePort:  hostPort != 0,
		HostPort:    hostPort,
		Volumes:     []string{CryptHome + "/oculus:/mnt/data:rw,Z"},
		Environment: map[string]string{"PHOENIX_WORKING_DIR": "/mnt/data"},
	}, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
