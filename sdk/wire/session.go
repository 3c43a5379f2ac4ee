package wire

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lychd/lychd/sdk"
)

// session carries one assimilation's registrations to the host's Sink and
// remembers the first one the Sink refused. Both Client implementations use
// it, so that an extension behaves the same in-process and over gRPC. The
// rules themselves are the Sink's (lychd applies sdk's Validate functions'
// rules there); the session only makes a refusal stick.
type session struct {
	sink Sink

	mu sync.Mutex
	// rejected is the first registration the Sink refused.
	rejected error
}

func newSession(sink Sink) *session { return &session{sink: sink} }

// reject records err as a rejection.
func (s *session) reject(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rejected == nil {
		s.rejected = err
	}
	return err
}

// AddRune passes r on to the Sink.
func (s *session) AddRune(ctx context.Context, r sdk.Rune) error {
	if err := s.sink.AddRune(ctx, r); err != nil {
		return s.reject(err)
	}
	return nil
}

// RegisterAnimator passes a on to the Sink.
func (s *session) RegisterAnimator(ctx context.Context, a sdk.Animator) error {
	if err := s.sink.RegisterAnimator(ctx, a); err != nil {
		return s.reject(err)
	}
	return nil
}

// finish returns the assimilation's outcome: the extension's own error, else
// the first registration the Sink refused (which the extension ignored).
func (s *session) finish(extErr error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if extErr != nil {
		return extErr
	}
	if s.rejected != nil {
		return fmt.Errorf("the extension returned success but a registration was refused: %w", s.rejected)
	}
	return nil
}

// checkConfigSize refuses, before any call, a config table larger than
// MaxConfigBytes.
func checkConfigSize(configJSON []byte) error {
	if len(configJSON) > MaxConfigBytes {
		return fmt.Errorf("the extension's config table is %d bytes as JSON; the limit is %d", len(configJSON), MaxConfigBytes)
	}
	return nil
}

var errNilSink = errors.New("wire: Assimilate needs a non-nil Sink")
