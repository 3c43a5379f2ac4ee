// Package wire is the protocol between lychd and its extensions (go-plugin
// over gRPC). Extension authors do not need it; lychd imports it.
//
// The host builds a go-plugin client from ClientConfig (or its own config
// with Handshake, VersionedPlugins and DialOptions), then calls Dispense to
// get a Client. Core extensions compiled into lychd use InProcess instead:
// the same contract without a process.
//
// Both kinds of Client behave identically: the config table is decoded the
// same way (strictly: an unknown key is an error), panics inside the
// extension come back as errors naming the panicking frames, the extension
// gets the Sink's refusals as the same text, a registration carrying more
// than MaxRegistrationBytes of text is refused before the Sink, and a
// refused registration fails Assimilate even if the extension ignored the
// error. Apart from that bound, package wire applies no rules of its own to
// registrations: the host's Sink does, with the rules of sdk.ValidateRune
// and sdk.ValidateAnimator.
package wire

import (
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/internal/shared"
	"github.com/lychd/lychd/sdk/preset"
)

// PluginName is the name under which an extension is dispensed.
const PluginName = shared.PluginName

// MaxMessageBytes bounds every gRPC message in both directions (4 MiB). It is
// set on the extension's server, on the host's callback server and on every
// call, so it holds whatever dial options the host adds.
const MaxMessageBytes = shared.MaxMessageBytes

// MaxConfigBytes bounds the JSON config table passed to Assimilate.
const MaxConfigBytes = shared.MaxConfigBytes

// Handshake is the go-plugin handshake of lychd extensions. The cookie only
// tells a binary that lychd launched it; it is not a secret.
func Handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  sdk.ProtocolVersion,
		MagicCookieKey:   shared.CookieKey,
		MagicCookieValue: shared.CookieValue,
	}
}

// HostProtocolVersions are the protocol versions this host speaks, oldest
// first.
func HostProtocolVersions() []int { return []int{1, 2} }

// VersionedPlugins is the host side's plugin set per protocol version: the
// versions this lychd speaks, so that a newer lychd can keep older extensions
// working. go-plugin picks the highest version both ends speak.
func VersionedPlugins() map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		// Version 2 added fields to Rune and a rune kind; the service is
		// the same, and a version-1 extension never sends them.
		1: {PluginName: &hostPlugin{}},
		2: {PluginName: &hostPlugin{}},
	}
}

// DialOptions are the gRPC dial options the host should pass as
// plugin.ClientConfig.GRPCDialOptions.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{grpc.WithDefaultCallOptions(callOptions()...)}
}

func callOptions() []grpc.CallOption {
	return []grpc.CallOption{
		grpc.MaxCallRecvMsgSize(MaxMessageBytes),
		grpc.MaxCallSendMsgSize(MaxMessageBytes),
	}
}

// DefaultStartTimeout is how long ClientConfig lets an extension take to
// complete the handshake (go-plugin's own default is a minute).
const DefaultStartTimeout = 10 * time.Second

// ClientConfig is the go-plugin client configuration lychd launches an
// extension with: the handshake, the versioned plugin set, gRPC only, the
// message limits, a start timeout of DefaultStartTimeout, no AutoMTLS (the
// connection is a private Unix socket) and logger for the extension's stderr
// lines. The caller may adjust fields before plugin.NewClient, and must
// Kill() the client on every path once it is created.
//
// Plugins is also set (to the current version's set) because go-plugin uses
// it, not VersionedPlugins, when reattaching to a running extension.
func ClientConfig(cmd *exec.Cmd, logger hclog.Logger) *plugin.ClientConfig {
	versioned := VersionedPlugins()
	return &plugin.ClientConfig{
		HandshakeConfig:  Handshake(),
		VersionedPlugins: versioned,
		Plugins:          versioned[sdk.ProtocolVersion],
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		StartTimeout:     DefaultStartTimeout,
		GRPCDialOptions:  DialOptions(),
	}
}

// Client is what the host gets for an extension: from Dispense for a binary,
// from InProcess for an extension compiled into lychd.
type Client interface {
	// Info asks the extension to describe itself (unchecked: see
	// sdk.ValidateInfo).
	Info(ctx context.Context) (sdk.Info, error)
	// Assimilate runs the extension's registration with configJSON as its
	// config table (a JSON object, or empty when the table is absent).
	// Registrations arrive at sink while Assimilate runs; an error means
	// the whole registration must be discarded.
	Assimilate(ctx context.Context, configJSON []byte, sink Sink) error
}

// Sink receives an extension's registrations. The host implements it; for
// a binary the calls arrive on the Assimilation call, one at a time and in
// order. An error returned
// here reaches the extension as the error of its AddRune, RegisterAnimator
// or AddPreset call (text only) and fails the assimilation.
type Sink interface {
	AddRune(ctx context.Context, r sdk.Rune) error
	RegisterAnimator(ctx context.Context, a sdk.Animator) error
	AddPreset(ctx context.Context, name string, p preset.Preset) error
}

// Dispense connects to the extension process of c (starting it if needed)
// and returns its Client. Protocol version mismatches come back as a
// *ProtocolError. The caller still owns c and must Kill it.
func Dispense(c *plugin.Client) (Client, error) {
	rpc, err := c.Client()
	if err != nil {
		return nil, ExplainStartError(err)
	}
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		return nil, fmt.Errorf("dispensing the %q plugin: %w", PluginName, err)
	}
	client, ok := raw.(Client)
	if !ok {
		return nil, fmt.Errorf("the extension served %T for plugin %q, not a lychd extension client", raw, PluginName)
	}
	return client, nil
}

// ProtocolError is a protocol version mismatch between lychd and an
// extension.
type ProtocolError struct {
	// Extension is the version the extension speaks.
	Extension int
	// Host are the versions this lychd speaks.
	Host []int
}

// Error names both versions and what to do.
func (e *ProtocolError) Error() string {
	host := make([]string, len(e.Host))
	for i, v := range e.Host {
		host[i] = fmt.Sprint(v)
	}
	hint := "rebuild the extension with a newer lychd SDK"
	if len(e.Host) > 0 && e.Extension > e.Host[len(e.Host)-1] {
		hint = "upgrade lychd, or install a build of the extension made for an older lychd"
	}
	return fmt.Sprintf("the extension speaks lychd extension protocol %d but this lychd speaks protocol %s; %s",
		e.Extension, strings.Join(host, ", "), hint)
}

// ExplainStartError turns go-plugin's raw protocol mismatch message
// ("incompatible API version with plugin. Plugin version: 2, Client
// versions: [1]") into a *ProtocolError; other errors pass through.
func ExplainStartError(err error) error {
	if err == nil {
		return nil
	}
	const marker = "incompatible API version with plugin. Plugin version: "
	msg := err.Error()
	i := strings.Index(msg, marker)
	if i < 0 {
		return err
	}
	var ext int
	if _, scanErr := fmt.Sscanf(msg[i+len(marker):], "%d", &ext); scanErr != nil {
		return err
	}
	host := HostProtocolVersions()
	sort.Ints(host)
	return &ProtocolError{Extension: ext, Host: host}
}
