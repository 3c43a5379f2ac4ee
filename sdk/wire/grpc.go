package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/internal/pb"
	"github.com/lychd/lychd/sdk/internal/shared"
)

// hostPlugin is the host side of the go-plugin plugin: it only makes
// clients. The extension side lives in package sdk.
type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (*hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("wire: the host side of a lychd extension cannot serve it; extensions call sdk.Serve")
}

func (*hostPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &grpcClient{client: pb.NewExtensionClient(conn)}, nil
}

// grpcClient is the Client of an extension binary.
type grpcClient struct {
	client pb.ExtensionClient

	mu sync.Mutex
	// pending is the Assimilation call Info opened, kept for the
	// Assimilate that follows.
	pending *openStream
}

// openStream is an Assimilation call whose first message, the
// extension's info, was read.
type openStream struct {
	stream pb.Extension_AssimilationClient
	// cancel ends the call.
	cancel context.CancelFunc
}

// Info reads the extension's info from a new Assimilation call, which
// the Assimilate that follows continues, so that one call describes and
// assimilates the extension.
func (c *grpcClient) Info(ctx context.Context) (sdk.Info, error) {
	st, info, err := c.open(ctx, "Info")
	if err != nil {
		return sdk.Info{}, err
	}
	c.mu.Lock()
	if c.pending != nil {
		c.pending.cancel()
	}
	c.pending = st
	c.mu.Unlock()
	return infoFromPB(info), nil
}

// open starts an Assimilation call and reads the extension's info, its
// first message; method names the call in errors. The call outlives ctx
// (Assimilate continues it under its own context) but keeps ctx's
// deadline, which reaches the extension; ctx ending while open waits for
// the info ends the call.
func (c *grpcClient) open(ctx context.Context, method string) (*openStream, *pb.ExtensionInfo, error) {
	var sctx context.Context
	var cancel context.CancelFunc
	if dl, ok := ctx.Deadline(); ok {
		sctx, cancel = context.WithDeadline(context.WithoutCancel(ctx), dl)
	} else {
		sctx, cancel = context.WithCancel(context.WithoutCancel(ctx))
	}
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	stream, err := c.client.Assimilation(sctx, callOptions()...)
	if err != nil {
		cancel()
		return nil, nil, streamError(ctx, method, err)
	}
	msg, err := stream.Recv()
	if err != nil {
		cancel()
		if status.Code(err) == codes.Unimplemented {
			return nil, nil, errors.New("the extension does not serve the Assimilation call; rebuild it with this lychd's SDK")
		}
		return nil, nil, streamError(ctx, method, err)
	}
	info := msg.GetInfo()
	if info == nil {
		cancel()
		return nil, nil, errors.New("the extension's first message on Assimilation is not its info; rebuild it with this lychd's SDK")
	}
	return &openStream{stream: stream, cancel: cancel}, info, nil
}

// streamError is callError for a call whose context open detached from
// ctx: when ctx ended, the error says so as a call under ctx would.
func streamError(ctx context.Context, method string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return &contextError{msg: cerr.Error(), err: cerr}
	}
	return callError(method, err)
}

// Assimilate continues the Assimilation call Info opened (or opens one
// and skips the info).
func (c *grpcClient) Assimilate(ctx context.Context, configJSON []byte, sink Sink) error {
	if sink == nil {
		return errNilSink
	}
	if err := checkConfigSize(configJSON); err != nil {
		return err
	}
	s := newSession(sink)
	c.mu.Lock()
	st := c.pending
	c.pending = nil
	c.mu.Unlock()
	if st == nil {
		var err error
		if st, _, err = c.open(ctx, "Assimilate"); err != nil {
			return s.finish(err)
		}
	}
	defer st.cancel()
	stop := context.AfterFunc(ctx, st.cancel)
	defer stop()
	return s.finish(runStream(ctx, st.stream, configJSON, s))
}

// runStream runs one assimilation on an Assimilation call past the
// info: it sends the config, answers every registration the extension
// sends with the session's verdict and returns the extension's outcome
// (nil when its Assimilate returned nil).
func runStream(ctx context.Context, stream pb.Extension_AssimilationClient, configJSON []byte, s *session) error {
	// A Send that fails with io.EOF means the call ended; Recv returns why.
	if err := stream.Send(&pb.HostMessage{Msg: &pb.HostMessage_Start{Start: &pb.AssimilateRequest{ConfigJson: configJSON}}}); err != nil && !errors.Is(err, io.EOF) {
		return streamError(ctx, "Assimilate", err)
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return streamError(ctx, "Assimilate", err)
		}
		var verdict error
		switch m := msg.GetMsg().(type) {
		case *pb.ExtensionMessage_Rune:
			r, err := runeFromPB(m.Rune)
			if err == nil {
				verdict = s.AddRune(ctx, r)
			} else {
				verdict = s.reject(err)
			}
		case *pb.ExtensionMessage_Animator:
			a, err := animatorFromPB(m.Animator)
			if err == nil {
				verdict = s.RegisterAnimator(ctx, a)
			} else {
				verdict = s.reject(err)
			}
		case *pb.ExtensionMessage_Preset:
			if m.Preset == nil {
				verdict = s.reject(errors.New("AddPreset carried no preset"))
			} else {
				verdict = s.AddPreset(ctx, m.Preset.GetName(), m.Preset.GetPresetJson())
			}
		default:
			verdict = s.reject(errors.New("sent a registration of a kind this lychd does not know (neither a rune, an Animator nor a preset); upgrade lychd or rebuild the extension with this lychd's SDK"))
		}
		v := &pb.Verdict{}
		if verdict != nil {
			v.Refusal = verdict.Error()
		}
		if err := stream.Send(&pb.HostMessage{Msg: &pb.HostMessage_Verdict{Verdict: v}}); err != nil && !errors.Is(err, io.EOF) {
			return streamError(ctx, "Assimilate", err)
		}
	}
}

// callError turns a gRPC error from the extension into a host-side error.
// An error the extension returned becomes its text alone, so that it reads
// the same as from an in-process extension; a deadline or cancellation (the
// extension's own context error or the transport's) wraps
// context.DeadlineExceeded or context.Canceled, so errors.Is works as
// in-process; other transport failures keep their status and name the call.
func callError(method string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("calling the extension's %s: %w", method, err)
	}
	switch st.Code() {
	case codes.Unknown:
		if ce, ok := shared.ConfigErrorFromStatus(st); ok {
			return &shared.WrappedConfigError{Msg: st.Message(), Config: ce}
		}
		return errors.New(st.Message())
	case codes.DeadlineExceeded:
		return &contextError{msg: st.Message(), err: context.DeadlineExceeded}
	case codes.Canceled:
		return &contextError{msg: st.Message(), err: context.Canceled}
	}
	return fmt.Errorf("calling the extension's %s: %w", method, err)
}

// contextError is an extension's error caused by the end of its context.
type contextError struct {
	msg string
	err error
}

func (e *contextError) Error() string { return e.msg }
func (e *contextError) Unwrap() error { return e.err }

var _ Client = (*grpcClient)(nil)
