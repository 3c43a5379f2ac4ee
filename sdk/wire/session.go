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
	if n := runeBytes(r); n > MaxRegistrationBytes {
		return s.reject(fmt.Errorf("rune %q carries %d bytes of text; one registration may carry at most %d", r.Name, n, MaxRegistrationBytes))
	}
	if err := s.sink.AddRune(ctx, r); err != nil {
		return s.reject(err)
	}
	return nil
}

// RegisterAnimator passes a on to the Sink.
func (s *session) RegisterAnimator(ctx context.Context, a sdk.Animator) error {
	if n := animatorBytes(a); n > MaxRegistrationBytes {
		return s.reject(fmt.Errorf("animator %q carries %d bytes of text; one registration may carry at most %d", a.Name, n, MaxRegistrationBytes))
	}
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

// MaxRegistrationBytes bounds the text one rune or Animator carries (the sum
// of its strings). It is far below MaxMessageBytes, so a registration the
// in-process path accepts always fits in a gRPC message, and one that would
// not fit is refused in-process too.
const MaxRegistrationBytes = 1 << 20

func runeBytes(r sdk.Rune) int {
	n := len(r.Name) + len(r.Description) + len(r.Image)
	for _, list := range [][]string{r.Groups, r.After, r.Wants, r.Requires, r.Devices, r.Volumes, r.Exec, r.Secrets} {
		n += stringsBytes(list)
	}
	for k, v := range r.Environment {
		n += len(k) + len(v)
	}
	return n
}

func animatorBytes(a sdk.Animator) int {
	return len(a.Name) + len(a.Rune) + len(a.URL) + stringsBytes(a.Capabilities) + stringsBytes(a.Tags)
}

func stringsBytes(list []string) int {
	n := 0
	for _, s := range list {
		n += len(s)
	}
	return n
}
