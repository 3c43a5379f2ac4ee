package bench

import (
	"context"
	"fmt"
	"os/exec"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// BarePluginName is the name the bare plugin is dispensed under.
const BarePluginName = "bare"

// BareHandshake is the go-plugin handshake of the bare plugin.
var BareHandshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "LYCHD_BENCH_BARE_PLUGIN",
	MagicCookieValue: "floor",
}

// bareInfoMethod is the one RPC of the bare plugin: it returns the plugin's
// name, like an extension's Info.
const bareInfoMethod = "/lychd.bench.Bare/Info"

type bareServer interface {
	info() string
}

type bareImpl struct{}

func (bareImpl) info() string { return BarePluginName }

// bareService is written by hand (no generated code): one unary method
// taking and returning a wrapperspb.StringValue.
var bareService = grpc.ServiceDesc{
	ServiceName: "lychd.bench.Bare",
	HandlerType: (*bareServer)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Info",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			return wrapperspb.String(srv.(bareServer).info()), nil
		},
	}},
}

// BarePlugin is the go-plugin GRPCPlugin of the bare plugin, used on both
// sides.
type BarePlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

// GRPCServer registers the one-method service.
func (*BarePlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(&bareService, bareImpl{})
	return nil
}

// GRPCClient returns a *BareClient.
func (*BarePlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &BareClient{conn: c}, nil
}

// BareClient calls the bare plugin.
type BareClient struct{ conn *grpc.ClientConn }

// Info makes the plugin's one RPC and returns its answer.
func (c *BareClient) Info(ctx context.Context) (string, error) {
	out := new(wrapperspb.StringValue)
	if err := c.conn.Invoke(ctx, bareInfoMethod, wrapperspb.String(""), out); err != nil {
		return "", err
	}
	return out.GetValue(), nil
}

// LaunchBare is the floor of an assimilation: it launches every binary in
// bins as a bare go-plugin gRPC plugin, at most parallel at a time, makes
// one Info call to each and kills it (go-plugin's Kill: a graceful close,
// then SIGKILL). It returns the first failure, naming the binary.
func LaunchBare(ctx context.Context, bins []string, parallel int) error {
	if parallel <= 0 {
		parallel = 1
	}
	sem := make(chan struct{}, parallel)
	errs := make([]error, len(bins))
	var wg sync.WaitGroup
	for i, bin := range bins {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = launchOneBare(ctx, bin)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func launchOneBare(ctx context.Context, bin string) error {
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  BareHandshake,
		Plugins:          plugin.PluginSet{BarePluginName: &BarePlugin{}},
		Cmd:              exec.Command(bin),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           hclog.NewNullLogger(),
	})
	defer c.Kill()
	rpc, err := c.Client()
	if err != nil {
		return fmt.Errorf("bare plugin %s: starting it: %w", bin, err)
	}
	raw, err := rpc.Dispense(BarePluginName)
	if err != nil {
		return fmt.Errorf("bare plugin %s: dispensing %q: %w", bin, BarePluginName, err)
	}
	name, err := raw.(*BareClient).Info(ctx)
	if err != nil {
		return fmt.Errorf("bare plugin %s: calling Info: %w", bin, err)
	}
	if name != BarePluginName {
		return fmt.Errorf("bare plugin %s: Info answered %q, want %q", bin, name, BarePluginName)
	}
	return nil
}
