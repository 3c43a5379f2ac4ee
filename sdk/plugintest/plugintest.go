// Package plugintest runs a lychd extension from go test, the way lychd
// runs it, and checks what it registers.
//
// Assimilate runs the extension in-process (through wire.InProcess, the path
// lychd uses for its core extension); AssimilateBinary launches the built
// binary through go-plugin exactly as lychd does, handshake and the
// registration stream included. Both refuse registrations as lychd does (the rules of
// sdk.ValidateRune and sdk.ValidateAnimator, each name once) and fail the
// test when the extension's Assimilate fails, unless AllowError is given.
// Check then applies the checks on the whole registration
// (sdk.ValidateSet), such as every soulstone Animator having its rune.
//
//	func TestRegisters(t *testing.T) {
//		r := plugintest.Assimilate(t, &Organ{}, plugintest.WithConfig(map[string]any{"model": "qwen"}))
//		plugintest.Check(t, r)
//		rune := r.RequireRune(t, "vision-analyzer")
//		...
//	}
package plugintest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/validate"
	"github.com/lychd/lychd/sdk/wire"
)

// Option configures Assimilate and AssimilateBinary.
type Option func(*options)

type options struct {
	config     any
	hasConfig  bool
	allowError bool
	timeout    time.Duration
}

// WithConfig passes v, encoded as JSON, as the extension's config table
// (the [extensions.NAME] table of lychd.toml). Use a map or a struct with
// json tags; without WithConfig the table is absent.
func WithConfig(v any) Option {
	return func(o *options) { o.config, o.hasConfig = v, true }
}

// AllowError records an Assimilate error in Result.Err instead of failing
// the test, to test how an extension refuses a bad config.
func AllowError() Option {
	return func(o *options) { o.allowError = true }
}

// WithTimeout bounds the assimilation (default DefaultTimeout), as lychd's
// assimilation deadline does: Info and Assimilate must return within d,
// and Assimilate's context ends at d. An extension still running then
// fails the test (or, with AllowError, gets a Result.Err that says so).
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// DefaultTimeout is the assimilation deadline unless WithTimeout says
// otherwise.
const DefaultTimeout = 30 * time.Second

// Result is what an extension registered in one assimilation.
type Result struct {
	Info      sdk.Info
	Runes     []sdk.Rune
	Animators []sdk.Animator
	// Presets are the engine presets registered with AddPreset, each
	// checked with the rules lychd applies (sdk.Registration.AddPreset).
	Presets []sdk.NamedPreset
	// Logs are the extension's log lines, rendered as
	// "[LEVEL] message: key=value ..." with keys sorted. For a binary
	// (AssimilateBinary) they also hold what it printed to stderr or
	// stdout, as "stderr: TEXT", as lychd records it; in-process, such
	// prints go to the test's own output.
	Logs []string
	// Err is Assimilate's error; always nil unless AllowError was given.
	Err error
}

// Assimilate runs ext in-process through wire.InProcess, as lychd runs its
// core extension, and returns what it registered. When that run finishes
// in time, it runs the extension a second time with the same config and
// fails the test if the registrations differ: lychd caches them, so
// assimilation must be deterministic.
//
// The run is bounded by WithTimeout as lychd's assimilation deadline
// bounds it: the kit stops waiting at the deadline and reports an
// extension that does not return when its context ends (in-process, such
// an extension's goroutine keeps running until the test binary exits).
func Assimilate(t testing.TB, ext sdk.Extension, opts ...Option) *Result {
	t.Helper()
	o := collect(opts)
	config := encodeConfig(t, o)
	run := func() (*Result, bool) {
		rec := &logRecorder{}
		logger := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "plugintest", Level: hclog.Trace, Output: discard{}})
		logger.RegisterSink(rec)
		return assimilate(t, wire.InProcess(ext, wire.WithLogger(logger.Named("extension"))), config, o, rec)
	}
	first, finished := run()
	if !finished {
		return first
	}
	second, _ := run()
	if !sameRegistrations(first, second) {
		t.Errorf("plugintest: %s registered different runes or Animators when run twice with the same config; lychd caches registrations, so Assimilate must be deterministic\nfirst:  %+v %+v\nsecond: %+v %+v",
			first.Info.Name, first.Runes, first.Animators, second.Runes, second.Animators)
	}
	return first
}

// AssimilateBinary launches the extension binary at path through go-plugin
// with lychd's client configuration (wire.ClientConfig: handshake, protocol
// versions, message limits, the registration stream), asks its Info, assimilates
// it once and kills it. Build the binary with BuildBinary.
func AssimilateBinary(t testing.TB, path string, opts ...Option) *Result {
	t.Helper()
	o := collect(opts)
	config := encodeConfig(t, o)
	rec := &logRecorder{relayedFrom: "plugintest." + filepath.Base(path)}
	logger := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "plugintest", Level: hclog.Trace, Output: discard{}})
	logger.RegisterSink(rec)

	cfg := wire.ClientConfig(exec.Command(path), logger)
	pc := plugin.NewClient(cfg)
	defer pc.Kill()
	client, err := wire.Dispense(pc)
	if err != nil {
		t.Fatalf("plugintest: starting extension %s: %v\nlogs:\n%s", path, err, strings.Join(rec.lines(), "\n"))
	}
	r, _ := assimilate(t, client, config, o, rec)
	pc.Kill()
	r.Logs = rec.lines()
	return r
}

// straggle is how long the kit waits, after the deadline, for an
// extension to return before it reports that the extension ignores its
// context.
const straggle = time.Second

// assimilate asks c for its Info and assimilates it once with config,
// bounded by o.timeout. finished is false when the deadline ended the run.
func assimilate(t testing.TB, c wire.Client, config []byte, o options, rec *logRecorder) (r *Result, finished bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	r = &Result{}
	info, err := within(ctx, o.timeout, "Info", func() (sdk.Info, error) { return c.Info(ctx) })
	if err != nil {
		var late *deadlineError
		if errors.As(err, &late) {
			t.Fatalf("plugintest: %v", err)
		}
		t.Fatalf("plugintest: Info: %v", err)
	}
	r.Info = info
	sink := &sink{}
	_, err = within(ctx, o.timeout, "Assimilate", func() (struct{}, error) {
		return struct{}{}, c.Assimilate(ctx, config, sink)
	})
	r.Runes, r.Animators = sink.collected()
	if sink.presets != nil {
		r.Presets = sink.presets.Presets()
	}
	r.Logs = rec.lines()
	if err != nil {
		if !o.allowError {
			var late *deadlineError
			if errors.As(err, &late) {
				t.Fatalf("plugintest: extension %s: %v", info.Name, err)
			}
			t.Fatalf("plugintest: extension %s: Assimilate: %v", info.Name, err)
		}
		r.Err = err
	}
	return r, ctx.Err() == nil
}

// deadlineError is a call that did not return within the deadline.
type deadlineError struct {
	what    string
	timeout time.Duration
	// err is the call's error when it returned after the deadline; nil
	// when it was still running straggle later.
	err error
}

func (e *deadlineError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("%s did not return within the deadline of %s (plugintest.WithTimeout), and was still running %s later: "+
			"it must return when its context ends; lychd kills an extension that does not", e.what, e.timeout, straggle)
	}
	return fmt.Sprintf("%s did not return within the deadline of %s (plugintest.WithTimeout): %v", e.what, e.timeout, e.err)
}

func (e *deadlineError) Unwrap() error { return e.err }

// within runs call and returns its result, unless ctx ends first: then it
// waits up to straggle for call to return, and reports the deadline either
// way (with call's error when it returned).
func within[T any](ctx context.Context, timeout time.Duration, what string, call func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.v, r.err = call()
		done <- r
	}()
	var zero T
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil {
			return zero, &deadlineError{what: what, timeout: timeout, err: r.err}
		}
		return r.v, r.err
	case <-ctx.Done():
	}
	select {
	case r := <-done:
		if r.err == nil {
			r.err = ctx.Err()
		}
		return zero, &deadlineError{what: what, timeout: timeout, err: r.err}
	case <-time.After(straggle):
		return zero, &deadlineError{what: what, timeout: timeout}
	}
}

func collect(opts []Option) options {
	o := options{timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

func encodeConfig(t testing.TB, o options) []byte {
	t.Helper()
	if !o.hasConfig {
		return nil
	}
	raw, err := json.Marshal(o.config)
	if err != nil {
		t.Fatalf("plugintest: WithConfig: encoding %T as JSON: %v", o.config, err)
	}
	return raw
}

// sink collects registrations in arrival order and refuses them as lychd's
// does: each one is checked with sdk.ValidateRune or sdk.ValidateAnimator, a
// name may be registered once, and after the first refusal every further
// registration is refused too.
type sink struct {
	mu        sync.Mutex
	runes     []sdk.Rune
	animators []sdk.Animator
	// presets checks and records the presets as lychd does.
	presets  *sdk.Registration
	rejected error
}

// AddPreset checks p as lychd does (sdk.Registration.AddPreset) and
// records it.
func (s *sink) AddPreset(_ context.Context, name string, p preset.Preset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rejected != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", s.rejected)
	}
	if s.presets == nil {
		s.presets = sdk.NewRegistration(validate.FromExtension)
	}
	if err := s.presets.AddPreset(name, p); err != nil {
		return s.refuse(err)
	}
	return nil
}

// collected returns what was registered so far.
func (s *sink) collected() ([]sdk.Rune, []sdk.Animator) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sdk.Rune(nil), s.runes...), append([]sdk.Animator(nil), s.animators...)
}

func (s *sink) refuse(err error) error {
	if s.rejected == nil {
		s.rejected = err
	}
	return err
}

func (s *sink) AddRune(_ context.Context, r sdk.Rune) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rejected != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", s.rejected)
	}
	if len(s.runes) >= sdk.MaxRunes {
		return s.refuse(fmt.Errorf("registered more than %d runes; an extension may register at most %d", sdk.MaxRunes, sdk.MaxRunes))
	}
	if err := sdk.ValidateRune(r); err != nil {
		return s.refuse(err)
	}
	for _, have := range s.runes {
		if have.Name == r.Name {
			return s.refuse(fmt.Errorf("registered rune %q twice; give each rune its own name", r.Name))
		}
	}
	s.runes = append(s.runes, r)
	return nil
}

func (s *sink) RegisterAnimator(_ context.Context, a sdk.Animator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rejected != nil {
		return fmt.Errorf("registration refused after an earlier error: %w", s.rejected)
	}
	if len(s.animators) >= sdk.MaxAnimators {
		return s.refuse(fmt.Errorf("registered more than %d Animators; an extension may register at most %d", sdk.MaxAnimators, sdk.MaxAnimators))
	}
	if err := sdk.ValidateAnimator(a); err != nil {
		return s.refuse(err)
	}
	for _, have := range s.animators {
		if have.Name == a.Name {
			return s.refuse(fmt.Errorf("registered Animator %q twice; give each Animator its own name", a.Name))
		}
	}
	s.animators = append(s.animators, a)
	return nil
}

// sameRegistrations compares two results ignoring registration order.
func sameRegistrations(a, b *Result) bool {
	sortRunes := func(rs []sdk.Rune) []sdk.Rune {
		out := append([]sdk.Rune(nil), rs...)
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	sortAnimators := func(as []sdk.Animator) []sdk.Animator {
		out := append([]sdk.Animator(nil), as...)
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	return reflect.DeepEqual(a.Presets, b.Presets) && reflect.DeepEqual(sortRunes(a.Runes), sortRunes(b.Runes)) &&
		reflect.DeepEqual(sortAnimators(a.Animators), sortAnimators(b.Animators)) &&
		(a.Err == nil) == (b.Err == nil)
}

// logRecorder renders log entries into lines. relayedFrom, when set, keeps
// only entries relayed from the extension's stderr (go-plugin names them
// after the binary), dropping go-plugin's own messages.
type logRecorder struct {
	relayedFrom string
	mu          sync.Mutex
	out         []string
}

// Accept implements hclog.SinkAdapter.
func (l *logRecorder) Accept(name string, level hclog.Level, msg string, args ...any) {
	if l.relayedFrom != "" && name != l.relayedFrom && !strings.HasPrefix(name, l.relayedFrom+".") {
		return
	}
	if l.relayedFrom != "" && len(args) == 0 {
		// go-plugin relays a line of the binary's stderr that is not a
		// log line as a message without arguments; lychd records it as
		// plain stderr.
		l.add("stderr: " + msg)
		return
	}
	var kv []string
	for i := 0; i+1 < len(args); i += 2 {
		k := fmt.Sprint(args[i])
		if k == "@module" && strings.HasSuffix(fmt.Sprint(args[i+1]), ".go-plugin") {
			return // go-plugin's machinery inside the extension, not its logs
		}
		switch k {
		case "timestamp", "@module", "@caller":
			continue
		}
		kv = append(kv, fmt.Sprintf("%s=%v", k, args[i+1]))
	}
	sort.Strings(kv)
	line := fmt.Sprintf("[%s] %s", strings.ToUpper(level.String()), msg)
	if len(kv) > 0 {
		line += ": " + strings.Join(kv, " ")
	}
	l.add(line)
}

func (l *logRecorder) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out = append(l.out, line)
}

func (l *logRecorder) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.out...)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
