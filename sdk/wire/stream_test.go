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
	"github.com/lychd/lychd/sdk/preset"
)

// scriptedExtension is an Extension server written by hand, so that it can
// misbehave in ways package sdk never would. Its stream sends first (its
// info unless set), then the messages of send, one at a time, records each
// verdict, and ends with end. It counts the calls it gets.
type scriptedExtension struct {
	pb.UnimplementedExtensionServer
	first *pb.ExtensionMessage
	send  []*pb.ExtensionMessage
	end   error

	mu       sync.Mutex
	verdicts []string
	config   string
	streams  int
}

var scriptedInfo = &pb.ExtensionInfo{Name: "scripted", Version: "1.0.0"}

func (e *scriptedExtension) Assimilation(stream pb.Extension_AssimilationServer) error {
	e.mu.Lock()
	e.streams++
	e.mu.Unlock()
	first := e.first
	if first == nil {
		first = &pb.ExtensionMessage{Msg: &pb.ExtensionMessage_Info{Info: scriptedInfo}}
	}
	if err := stream.Send(first); err != nil {
		return err
	}
	start, err := stream.Recv()
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.config = string(start.GetStart().GetConfigJson())
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
	mu      sync.Mutex
	runes   []string
	anims   []string
	presets []string
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

func (s *sink) AddPreset(_ context.Context, name string, _ preset.Preset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.presets = append(s.presets, name)
	return nil
}

func runeMsg(name string) *pb.ExtensionMessage {
	return &pb.ExtensionMessage{Msg: &pb.ExtensionMessage_Rune{Rune: &pb.Rune{Name: name, Image: "busybox", Kind: pb.RuneKind_RUNE_KIND_SOULSTONE}}}
}

// Info then Assimilate make one Assimilation call and no other (no
// Info call, no callback connection); each registration gets its verdict
// in order.
func TestStreamAssimilationIsOneCall(t *testing.T) {
	ext := &scriptedExtension{send: []*pb.ExtensionMessage{
		runeMsg("a"),
		runeMsg("taken"),
		{Msg: &pb.ExtensionMessage_Animator{Animator: &pb.Animator{Name: "p", Kind: pb.AnimatorKind_ANIMATOR_KIND_PORTAL, Url: "https://x.example/v1"}}},
	}}
	c := streamClient(t, ext)
	info, err := c.Info(context.Background())
	if err != nil || info.Name != "scripted" || info.Version != "1.0.0" {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	var s sink
	err = c.Assimilate(context.Background(), []byte(`{"k":1}`), &s)
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
	if ext.streams != 1 {
		t.Errorf("%d Assimilation calls, want 1", ext.streams)
	}
}

// Assimilate without Info opens the stream itself and skips the info.
func TestStreamAssimilationWithoutInfo(t *testing.T) {
	ext := &scriptedExtension{send: []*pb.ExtensionMessage{runeMsg("a")}}
	var s sink
	if err := streamClient(t, ext).Assimilate(context.Background(), nil, &s); err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.runes, ",") != "a" || ext.streams != 1 {
		t.Errorf("runes %v, %d streams", s.runes, ext.streams)
	}
}

// An extension that does not serve the stream (built with no SDK of
// this protocol) is refused with what to do.
func TestStreamUnimplemented(t *testing.T) {
	_, err := streamClient(t, &pb.UnimplementedExtensionServer{}).Info(context.Background())
	if err == nil || err.Error() != "the extension does not serve the Assimilation call; rebuild it with this lychd's SDK" {
		t.Errorf("Info error = %v", err)
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
		name: "registration before the info",
		ext:  &scriptedExtension{first: runeMsg("a")},
		want: "the extension's first message on Assimilation is not its info; rebuild it with this lychd's SDK",
	}, {
		name: "empty message",
		ext:  &scriptedExtension{send: []*pb.ExtensionMessage{{}}},
		want: "the extension returned success but a registration was refused: sent a registration of a kind this lychd does not know (neither a rune, an Animator nor a preset); upgrade lychd or rebuild the extension with this lychd's SDK",
	}, {
		name: "environment variable twice",
		ext: &scriptedExtension{send: []*pb.ExtensionMessage{{Msg: &pb.ExtensionMessage_Rune{Rune: &pb.Rune{Name: "x", Image: "busybox",
			Environment: []*pb.EnvVar{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}}}}}}},
		want: `the extension returned success but a registration was refused: rune "x": environment variable "A" sent twice`,
	}, {
		name: "preset with a key this lychd does not know",
		ext: &scriptedExtension{send: []*pb.ExtensionMessage{{Msg: &pb.ExtensionMessage_Preset{Preset: &pb.Preset{Name: "p",
			PresetJson: []byte(`{"image":"busybox","exec":["x"],"gpu_layers":99}`)}}}}},
		want: `the extension returned success but a registration was refused: preset "p": json: unknown field "gpu_layers"; upgrade lychd or rebuild the extension with this lychd's SDK`,
	}, {
		name: "empty preset",
		ext:  &scriptedExtension{send: []*pb.ExtensionMessage{{Msg: &pb.ExtensionMessage_Preset{}}}},
		want: `the extension returned success but a registration was refused: AddPreset carried no preset`,
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
