package wire

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lychd/lychd/sdk"
)

// session checks one assimilation's registrations on their way to the
// host's Sink. Both Client implementations use it, so the rules and their
// messages are the same in-process and over gRPC.
type session struct {
	sink Sink

	mu        sync.Mutex
	runes     []sdk.Rune
	animators []sdk.Animator
	// rejected is the first registration the checks or the Sink refused.
	rejected error
}

func newSession(sink Sink) *session { return &session{sink: sink} }

// rejectLocked records err as a rejection, taking the lock.
func (s *session) rejectLocked(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reject(err)
}

// reject records err as a rejection; the caller holds s.mu.
func (s *session) reject(err error) error {
	if s.rejected == nil {
		s.rejected = err
	}
	return err
}

// AddRune checks r and passes it on to the Sink.
func (s *session) AddRune(ctx context.Context, r sdk.Rune) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := sdk.ValidateRune(r); err != nil {
		return s.reject(err)
	}
	if len(s.runes) == sdk.MaxRunes {
		return s.reject(fmt.Errorf("rune %q: the extension already added %d runes, the limit", r.Name, sdk.MaxRunes))
	}
	for _, have := range s.runes {
		if have.Name == r.Name {
			return s.reject(fmt.Errorf("rune %q is added twice", r.Name))
		}
	}
	if err := s.sink.AddRune(ctx, r); err != nil {
		return s.reject(err)
	}
	s.runes = append(s.runes, r)
	return nil
}

// RegisterAnimator checks a and passes it on to the Sink.
func (s *session) RegisterAnimator(ctx context.Context, a sdk.Animator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := sdk.ValidateAnimator(a); err != nil {
		return s.reject(err)
	}
	if len(s.animators) == sdk.MaxAnimators {
		return s.reject(fmt.Errorf("animator %q: the extension already registered %d Animators, the limit", a.Name, sdk.MaxAnimators))
	}
	for _, have := range s.animators {
		if have.Name == a.Name {
			return s.reject(fmt.Errorf("animator %q is registered twice", a.Name))
		}
	}
	if err := s.sink.RegisterAnimator(ctx, a); err != nil {
		return s.reject(err)
	}
	s.animators = append(s.animators, a)
	return nil
}

// finish returns the assimilation's outcome: the extension's own error, else
// the first rejected registration, else what sdk.ValidateSet finds in the
// whole set (soulstone Animators without their rune).
func (s *session) finish(extErr error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if extErr != nil {
		return extErr
	}
	if s.rejected != nil {
		return fmt.Errorf("the extension returned success but a registration was rejected: %w", s.rejected)
	}
	if err := sdk.ValidateSet(s.runes, s.animators); err != nil {
		return err
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
