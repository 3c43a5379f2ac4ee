package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/lychd/lychd/sdk/internal/pb"
	"github.com/lychd/lychd/sdk/internal/shared"
	"github.com/lychd/lychd/sdk/preset"
)

// Serve runs ext as a lychd extension. It is the only call in the
// extension's main function and returns only when lychd is done with the
// extension (it exits the process on error).
//
// Serve logs JSON lines on stderr, which lychd records attributed to the
// extension. Once lychd first calls the extension, whatever the extension
// prints to os.Stdout or os.Stderr goes to the process's stderr too, in
// order with its log lines, so lychd records every line (stdout carried
// the plugin handshake, and go-plugin would otherwise carry later writes
// on a stream that can lose the last lines when the extension exits).
// Panics inside Info and Assimilate are recovered and reported to lychd
// as errors naming the panicking frames. Run by hand, the binary prints
// that it is a lychd extension and how to install it, and exits 1.
func Serve(ext Extension) {
	if code := serve(ext, os.Getenv, os.Stderr, os.Args[0], nil); code != 0 {
		os.Exit(code)
	}
}

// serve is Serve with its environment injected. test, when non-nil, serves
// in go-plugin's test mode (in-process, no cookie check).
func serve(ext Extension, getenv func(string) string, stderr io.Writer, argv0 string, test *plugin.ServeTestConfig) int {
	if test == nil && getenv(shared.CookieKey) != shared.CookieValue {
		fmt.Fprint(stderr, notLaunchedMessage(ext, argv0))
		return 1
	}
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       extensionName(ext),
		Level:      hclog.Trace,
		Output:     stderr,
		JSONFormat: true,
		// Lets machineryLogger quieten go-plugin without quietening ext.
		IndependentLevels: true,
	})
	var claim func()
	if f, ok := stderr.(*os.File); ok && test == nil {
		claim = sync.OnceFunc(func() { os.Stdout, os.Stderr = f, f })
	}
	plugin.Serve(serveConfig(ext, logger, test, claim))
	return 0
}

// serveConfig is the go-plugin configuration of an extension process.
// claim, when not nil, runs before every call lychd makes.
func serveConfig(ext Extension, logger hclog.Logger, test *plugin.ServeTestConfig, claim func()) *plugin.ServeConfig {
	return &plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  ProtocolVersion,
			MagicCookieKey:   shared.CookieKey,
			MagicCookieValue: shared.CookieValue,
		},
		VersionedPlugins: map[int]plugin.PluginSet{
			ProtocolVersion: {shared.PluginName: &extensionPlugin{ext: ext, logger: logger, claim: claim}},
		},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(shared.MaxMessageBytes), grpc.MaxSendMsgSize(shared.MaxMessageBytes))
			return grpc.NewServer(opts...)
		},
		// go-plugin's own messages ("plugin address" and the like) are
		// machinery, not the extension's.
		Logger: machineryLogger(logger),
		Test:   test,
	}
}

// machineryLogger is the logger go-plugin logs its own messages to inside
// the extension: module NAME.go-plugin, Info and above.
func machineryLogger(logger hclog.Logger) hclog.Logger {
	l := logger.Named("go-plugin")
	l.SetLevel(hclog.Info)
	return l
}

// notLaunchedMessage is what a user sees when running an extension by hand.
func notLaunchedMessage(ext Extension, argv0 string) string {
	name := extensionName(ext)
	path := argv0
	if abs, err := filepath.Abs(argv0); err == nil {
		path = abs
	}
	return fmt.Sprintf("%s is a lychd extension (%s), not a program to run by hand.\n"+
		"Install it with:\n\n\tlychd extension install %s\n\n"+
		"lychd then launches it itself whenever it assimilates extensions.\n",
		filepath.Base(argv0), name, path)
}

// extensionName is ext's name for messages, without trusting Info not to
// panic.
func extensionName(ext Extension) (name string) {
	defer func() {
		if recover() != nil {
			name = "unnamed extension"
		}
	}()
	if name = ext.Info().Name; name == "" {
		name = "unnamed extension"
	}
	return name
}

// extensionPlugin is the extension side of the go-plugin plugin.
type extensionPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	ext    Extension
	logger hclog.Logger
	claim  func()
}

func (p *extensionPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterExtensionServer(s, &extensionServer{ext: p.ext, logger: p.logger, claim: p.claim})
	return nil
}

func (p *extensionPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("sdk: an extension cannot act as lychd; the host uses package wire")
}

// extensionServer serves the Extension service.
type extensionServer struct {
	pb.UnimplementedExtensionServer
	ext    Extension
	logger hclog.Logger
	// claim points os.Stdout and os.Stderr at the process's stderr (once);
	// nil in test mode.
	claim func()
}

// info calls the extension's Info, a panic included.
func (s *extensionServer) info() (*pb.ExtensionInfo, error) {
	var info Info
	if err := shared.Guard("Info", func() error { info = s.ext.Info(); return nil }); err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &pb.ExtensionInfo{Name: info.Name, Version: info.Version, Description: info.Description}, nil
}

// Assimilation sends the extension's info, then runs Assimilate with
// the config the host sends, the registrations going out on the stream
// itself, each answered by the host's verdict: one call, no second
// connection.
func (s *extensionServer) Assimilation(stream pb.Extension_AssimilationServer) error {
	if s.claim != nil {
		s.claim()
	}
	info, err := s.info()
	if err != nil {
		return err
	}
	if err := stream.Send(&pb.ExtensionMessage{Msg: &pb.ExtensionMessage_Info{Info: info}}); err != nil {
		return err
	}
	first, err := stream.Recv()
	if err != nil {
		// The host ended the call after the info: it wants no
		// registration from this extension.
		return err
	}
	start := first.GetStart()
	if start == nil {
		return status.Error(codes.InvalidArgument, "Assimilation: the host's message after the info must be start")
	}
	a := &streamAssimilation{assimilationState: assimilationState{config: start.GetConfigJson(), logger: s.logger}, stream: stream}
	err = shared.Guard("Assimilate", func() error { return s.ext.Assimilate(stream.Context(), a) })
	if err == nil {
		err = a.unsent()
	}
	if err != nil {
		return errorStatus(err)
	}
	return nil
}

// errorStatus is the status an error of Assimilate travels with: its text,
// its code (errorCode) and, when it is a config table that does not fit,
// the key as a detail lychd uses to point at lychd.toml.
func errorStatus(err error) error {
	st := status.New(errorCode(err), err.Error())
	var ce *ConfigError
	if errors.As(err, &ce) {
		if d, derr := st.WithDetails(shared.ConfigErrorInfo(ce)); derr == nil {
			st = d
		}
	}
	return st.Err()
}

// errorCode is the status code an extension's error travels with: the
// context's codes for context errors (so lychd can tell a missed deadline),
// Unknown for everything else.
func errorCode(err error) codes.Code {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	return codes.Unknown
}

// assimilationState is the config table, the logger, and the first
// registration that never reached lychd.
type assimilationState struct {
	config []byte
	logger hclog.Logger

	mu sync.Mutex
	// failed is the first registration that never reached lychd (a
	// transport failure, e.g. a message over the size limit, or the
	// extension's context ending). lychd records the refusals it makes
	// itself; this covers the rest, so that ignoring such an error fails
	// the assimilation as it does in-process.
	failed error
}

func (a *assimilationState) Config(v any) error { return shared.DecodeConfig(a.config, v) }

func (a *assimilationState) Logger() hclog.Logger { return a.logger }

// recordLocked wraps err, a registration that never reached lychd, keeps
// the first such error and returns the wrapped one. Call with mu held.
func (a *assimilationState) recordLocked(err error) error {
	err = fmt.Errorf("calling lychd: %w", err)
	if a.failed == nil {
		a.failed = err
	}
	return err
}

// unsent returns the first registration that never reached lychd.
func (a *assimilationState) unsent() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failed == nil {
		return nil
	}
	return fmt.Errorf("the extension returned success but a registration was refused: %w", a.failed)
}

// streamAssimilation is the Assimilation of an extension process assimilated
// over Assimilation: each registration is one message, and the call
// returns the host's verdict on it.
type streamAssimilation struct {
	// assimilationState's mu also serializes registrations: one message,
	// then its verdict.
	assimilationState
	stream pb.Extension_AssimilationServer
}

func (a *streamAssimilation) AddRune(ctx context.Context, r Rune) error {
	return a.register(ctx, &pb.ExtensionMessage{Msg: &pb.ExtensionMessage_Rune{Rune: runeToPB(r)}})
}

func (a *streamAssimilation) RegisterAnimator(ctx context.Context, an Animator) error {
	return a.register(ctx, &pb.ExtensionMessage{Msg: &pb.ExtensionMessage_Animator{Animator: animatorToPB(an)}})
}

func (a *streamAssimilation) AddPreset(ctx context.Context, name string, p preset.Preset) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("preset %q cannot be sent: %w", name, err)
	}
	return a.register(ctx, &pb.ExtensionMessage{Msg: &pb.ExtensionMessage_Preset{Preset: &pb.Preset{Name: name, PresetJson: data}}})
}

// register sends msg and waits for the host's verdict; a refusal comes back
// as its plain text, as an in-process extension sees it.
func (a *streamAssimilation) register(ctx context.Context, msg *pb.ExtensionMessage) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failed != nil {
		return a.failed
	}
	if err := ctx.Err(); err != nil {
		return a.recordLocked(err)
	}
	// Refused here, as a unary call refuses it: on a stream, a message over
	// the limit would end the whole call.
	if n := proto.Size(msg); n > shared.MaxMessageBytes {
		return a.recordLocked(status.Errorf(codes.ResourceExhausted, "trying to send message larger than max (%d vs. %d)", n, shared.MaxMessageBytes))
	}
	if err := a.stream.Send(msg); err != nil {
		return a.recordLocked(err)
	}
	reply, err := a.stream.Recv()
	if err != nil {
		return a.recordLocked(err)
	}
	v := reply.GetVerdict()
	if v == nil {
		return a.recordLocked(errors.New("lychd answered a registration with something other than a verdict"))
	}
	if v.GetRefusal() != "" {
		return errors.New(v.GetRefusal())
	}
	return nil
}

func runeToPB(r Rune) *pb.Rune {
	// Enum values are the sdk value plus one (zero means unspecified), so
	// an unknown kind reaches lychd as itself and is rejected there with the
	// same message as in-process.
	kind := pb.RuneKind(r.Kind + 1)
	env := make([]*pb.EnvVar, 0, len(r.Environment))
	for k, v := range r.Environment {
		env = append(env, &pb.EnvVar{Name: k, Value: v})
	}
	sort.Slice(env, func(i, j int) bool { return env[i].Name < env[j].Name })
	return &pb.Rune{
		Name:        r.Name,
		Kind:        kind,
		Description: r.Description,
		Image:       r.Image,
		Groups:      r.Groups,
		After:       r.After,
		Wants:       r.Wants,
		Requires:    r.Requires,
		Port:        clampInt32(r.Port),
		ExposePort:  r.ExposePort,
		HostPort:    clampInt32(r.HostPort),
		Devices:     r.Devices,
		Volumes:     r.Volumes,
		Environment: env,
		Exec:        r.Exec,
		Secrets:     r.Secrets,

		StartTimeoutNs: int64(r.StartTimeout),
		HealthCmd:      r.HealthCmd,
		ShmSize:        r.ShmSize,
		Memory:         r.Memory,
		HostUser:       r.HostUser,
	}
}

func animatorToPB(a Animator) *pb.Animator {
	kind := pb.AnimatorKind(a.Kind + 1)
	return &pb.Animator{
		Name:         a.Name,
		Kind:         kind,
		Rune:         a.Rune,
		Url:          a.URL,
		Capabilities: a.Capabilities,
		Tags:         a.Tags,
		Secrets:      a.Secrets,
	}
}

// clampInt32 keeps an absurd port invalid instead of letting it wrap into a
// valid one.
func clampInt32(v int) int32 {
	if v < 0 || v > math.MaxInt32 {
		return -1
	}
	return int32(v)
}
