package wire

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/internal/pb"
)

// scriptedExtension is an Extension server written by hand, so that it can
// misbehave in ways package sdk never would. Its Info offers
// AssimilateStream; its stream sends send, one message at a time, records
// each verdict, and ends with end.
type scriptedExtension struct {
	pb.UnimplementedExtensionServer
	send []*pb.ExtensionMessage
	end  error

	mu       sync.Mutex
	verdicts []string
	config   string
}

func (e *scriptedExtension) Info(context.Context, *pb.InfoRequest) (*pb.InfoResponse, error) {
	return &pb.InfoResponse{Info: &pb.ExtensionInfo{Name: "scripted", Version: "1.0.0"}, AssimilateStream: true}, nil
}

func (e *scriptedExtension) AssimilateStream(stream pb.Extension_AssimilateStreamServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.config = string(first.GetStart().GetConfigJson())
	e.mu.Unlock()
	for _, m := range e.send {
		if err := stream.Send(m); err != nil {
			return err
		}
		reply, err := stream.Recv()
		if err != nil {
			return err
		}
		e.mu.Lock()
		e.verdicts = append(e.verdicts, reply.GetVerdict().GetRefusal())
		e.mu.Unlock()
	}
	return e.end
}

// streamClient serves ext on a Unix socket and returns a grpcClient for it
// with no GRPCBroker at all: any use of the callback connection panics.
func streamClient(t *testing.T, ext pb.ExtensionServer) *grpcClient {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "ext.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	pb.RegisterExtensionServer(srv, ext)
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &grpcClient{client: pb.NewExtensionClient(conn)}
}

// sink records registrations and refuses runes named "taken".
type sink struct {
	mu    sync.Mutex
	runes []string
	anims []string
}

func (s *sink) AddRune(_ context.Context, r sdk.Rune) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Name == "taken" {
		return errors.New(`rune "taken": the name is taken by the Codex`)
	}
	s.runes = append(s.runes, r.Name)
	return nil
}

func (s *sink) RegisterAnimator(_ context.Context, a sdk.Animator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.anims = append(s.anims, a.Name)
	return nil
}

func runeMsg(name string) *pb.ExtensionMessage {
	return &pb.ExtensionMessage{Msg: &pb.ExtensionMessage_Rune{Rune: &pb.Rune{Name: name, Image: "busybox", Kind: pb.RuneKind_RUNE_KIND_SOULSTONE}}}
}

// An extension that offers the stream is assimilated over it (Assimilate
// asks Info itself when the host has not), each registration gets its
// verdict in order, and no callback connection is made.
func TestStreamAssimilationNeedsNoBroker(t *testing.T) {
	ext := &scriptedExtension{send: []*pb.ExtensionMessage{
		runeMsg("a"),
		runeMsg("taken"),
		{Msg: &pb.ExtensionMessage_Animator{Animator: &pb.Animator{Name: "p", Kind: pb.AnimatorKind_ANIMATOR_KIND_PORTAL, Url: "https://x.example/v1"}}},
	}}
	c := streamClient(t, ext)
	var s sink
	err := c.Assimilate(context.Background(), []byte(`{"k":1}`), &s)
	want := `the extension returned success but a registration was refused: rune "taken": the name is taken by the Codex`
	if err == nil || err.Error() != want {
		t.Fatalf("Assimilate: %v\nwant %s", err, want)
	}
	if strings.Join(s.runes, ",") != "a" || strings.Join(s.anims, ",") != "p" {
		t.Errorf("sink got runes %v, Animators %v", s.runes, s.anims)
	}
	if got := strings.Join(ext.verdicts, "|"); got != `|rune "taken": the name is taken by the Codex|` {
		t.Errorf("verdicts %q", got)
	}
	if ext.config != `{"k":1}` {
		t.Errorf("the extension got config %q", ext.config)
	}
}

// What a lying or broken extension sends on the stream fails the
// assimilation with a clear error, never a panic or a silent success.
func TestStreamMisbehaviour(t *testing.T) {
	cases := []struct {
		name string
		ext  *scriptedExtension
		want string
	}{{
		name: "empty message",
		ext:  &scriptedExtension{send: []*pb.ExtensionMessage{{}}},
		want: "the extension returned success but a registration was refused: sent a registration of a kind this lychd does not know (neither a rune nor an Animator); upgrade lychd or rebuild the extension with this lychd's SDK",
	}, {
		name: "environment variable twice",
		ext: &scriptedExtension{send: []*pb.ExtensionMessage{{Msg: &pb.ExtensionMessage_Rune{Rune: &pb.Rune{Name: "x", Image: "busybox",
			Environment: []*pb.EnvVar{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}}}}}}},
		want: `the extension returned success but a registration was refused: rune "x": environment variable "A" sent twice`,
	}, {
		name: "extension error",
		ext:  &scriptedExtension{send: []*pb.ExtensionMessage{runeMsg("a")}, end: status.Error(codes.Unknown, "no GPU found")},
		want: "no GPU found",
	}, {
		name: "transport failure",
		ext:  &scriptedExtension{end: status.Error(codes.Internal, "boom")},
		want: "calling the extension's Assimilate: rpc error: code = Internal desc = boom",
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := streamClient(t, tc.ext).Assimilate(context.Background(), nil, &sink{})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Assimilate: %v\nwant %s", err, tc.want)
			}
		})
	}
}
