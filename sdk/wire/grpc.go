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
)

// hostPlugin is the host side of the go-plugin plugin: it only makes
// clients. The extension side lives in package sdk.
type hostPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (*hostPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("wire: the host side of a lychd extension cannot serve it; extensions call sdk.Serve")
}

func (*hostPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return &grpcClient{broker: broker, client: pb.NewExtensionClient(conn)}, nil
}

// grpcClient is the Client of an extension binary.
type grpcClient struct {
	broker *plugin.GRPCBroker
	client pb.ExtensionClient

	mu sync.Mutex
	// described is whether Info answered; stream is whether the answer
	// offered AssimilateStream.
	described, stream bool
}

func (c *grpcClient) Info(ctx context.Context) (sdk.Info, error) {
	resp, err := c.client.Info(ctx, &pb.InfoRequest{}, callOptions()...)
	if err != nil {
		return sdk.Info{}, callError("Info", err)
	}
	c.mu.Lock()
	c.described, c.stream = true, resp.GetAssimilateStream()
	c.mu.Unlock()
	return infoFromPB(resp.GetInfo()), nil
}

// streams reports whether the extension serves AssimilateStream, asking
// Info if the host has not (Info is cheap and side-effect free).
func (c *grpcClient) streams(ctx context.Context) (bool, error) {
	c.mu.Lock()
	described, stream := c.described, c.stream
	c.mu.Unlock()
	if described {
		return stream, nil
	}
	if _, err := c.Info(ctx); err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stream, nil
}

// Assimilate runs the extension's registration over AssimilateStream when
// the extension offers it, else over the GRPCBroker callback connection.
// Both reach sink the same way, with the same refusals and outcome.
func (c *grpcClient) Assimilate(ctx context.Context, configJSON []byte, sink Sink) error {
	if sink == nil {
		return errNilSink
	}
	if err := checkConfigSize(configJSON); err != nil {
		return err
	}
	stream, err := c.streams(ctx)
	if err != nil {
		return err
	}
	s := newSession(sink)
	if stream {
		return s.finish(c.assimilateStream(ctx, configJSON, s))
	}
	id, stop := c.serveHost(&hostServer{session: s})
	defer stop()
	_, err = c.client.Assimilate(ctx, &pb.AssimilateRequest{ConfigJson: configJSON, HostBrokerId: id}, callOptions()...)
	if err != nil {
		err = callError("Assimilate", err)
	}
	return s.finish(err)
}

// assimilateStream runs one assimilation over AssimilateStream: it answers
// every registration the extension sends with the session's verdict and
// returns the extension's outcome (nil when its Assimilate returned nil).
func (c *grpcClient) assimilateStream(ctx context.Context, configJSON []byte, s *session) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.client.AssimilateStream(ctx, callOptions()...)
	if err != nil {
		return callError("Assimilate", err)
	}
	// A Send that fails with io.EOF means the call ended; Recv returns why.
	if err := stream.Send(&pb.HostMessage{Msg: &pb.HostMessage_Start{Start: &pb.AssimilateRequest{ConfigJson: configJSON}}}); err != nil && !errors.Is(err, io.EOF) {
		return callError("Assimilate", err)
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return callError("Assimilate", err)
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
		default:
			verdict = s.reject(errors.New("sent a registration of a kind this lychd does not know (neither a rune nor an Animator); upgrade lychd or rebuild the extension with this lychd's SDK"))
		}
		v := &pb.Verdict{}
		if verdict != nil {
			v.Refusal = verdict.Error()
		}
		if err := stream.Send(&pb.HostMessage{Msg: &pb.HostMessage_Verdict{Verdict: v}}); err != nil && !errors.Is(err, io.EOF) {
			return callError("Assimilate", err)
		}
	}
}

// serveHost serves srv on a new broker id and returns the id and a
// function that stops serving.
func (c *grpcClient) serveHost(srv pb.HostServer) (id uint32, stop func()) {
	id = c.broker.NextId()
	var (
		mu      sync.Mutex
		server  *grpc.Server
		stopped bool
	)
	newServer := func(opts []grpc.ServerOption) *grpc.Server {
		opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageBytes), grpc.MaxSendMsgSize(MaxMessageBytes))
		s := grpc.NewServer(opts...)
		pb.RegisterHostServer(s, srv)
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			s.Stop()
		}
		server = s
		return s
	}
	go c.broker.AcceptAndServe(id, newServer)
	return id, func() {
		mu.Lock()
		stopped = true
		if server != nil {
			server.Stop()
		}
		mu.Unlock()
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

// hostServer is the Host service the extension calls back during one
// Assimilate.
type hostServer struct {
	pb.UnimplementedHostServer
	session *session
}

func (h *hostServer) AddRune(ctx context.Context, req *pb.AddRuneRequest) (*pb.AddRuneResponse, error) {
	r, err := runeFromPB(req.GetRune())
	if err == nil {
		err = h.session.AddRune(ctx, r)
	} else {
		err = h.session.reject(err)
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &pb.AddRuneResponse{}, nil
}

func (h *hostServer) RegisterAnimator(ctx context.Context, req *pb.RegisterAnimatorRequest) (*pb.RegisterAnimatorResponse, error) {
	a, err := animatorFromPB(req.GetAnimator())
	if err == nil {
		err = h.session.RegisterAnimator(ctx, a)
	} else {
		err = h.session.reject(err)
	}
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &pb.RegisterAnimatorResponse{}, nil
}

var _ Client = (*grpcClient)(nil)
