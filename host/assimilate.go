package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/lychd/lychd/internal/codex"

	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/lychd/lychd/host/cache"
	"github.com/lychd/lychd/host/failure"
	"github.com/lychd/lychd/host/launch"
	"github.com/lychd/lychd/host/lockfile"
	"github.com/lychd/lychd/host/registry"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/preset"
	"github.com/lychd/lychd/sdk/wire"
)

// UnisolatedWarning is the warning of an assimilation that had to launch
// extensions without PID namespaces.
const UnisolatedWarning = "this system refuses unprivileged user namespaces, so extensions ran without a PID namespace of their own: a process an extension detaches from its process group (setsid) can outlive lychd; see SECURITY.md"

// ErrInterrupted matches (errors.Is) the error of an assimilation whose
// context was cancelled by its caller (Ctrl-C), not by the deadline.
var ErrInterrupted = errors.New("interrupted")

// Options configure Assimilate.
type Options struct {
	// ExtensionsDir is where extensions are installed
	// (paths.ExtensionsDir()).
	ExtensionsDir string
	// CacheDir is lychd's cache directory (paths.CacheDir()); empty
	// disables the registration cache.
	CacheDir string
	// NoCache bypasses the registration cache (neither read nor written).
	NoCache bool
	// Core is the extension compiled into lychd; nil for none. It runs in
	// process through the same checks as a binary.
	Core sdk.Extension
	// Config maps extension names to their [extensions.NAME] table as JSON;
	// the core's is under "core". Unless Only is set, a table of an
	// extension that is not installed is an error.
	Config map[string]json.RawMessage
	// Locate says where the key (a path such as "model_size" or
	// "models[1].name"; "" for the table itself) of the config table of
	// extension name is written, as "FILE:LINE: KEY" (e.g.
	// "lychd.toml:7: extensions.whisper.model_size"), or "" when it
	// cannot. A config table an extension refuses is then reported there.
	// Nil locates nothing.
	Locate func(name, key string) string
	// StartTimeout bounds each extension's handshake ([assimilation]
	// start_timeout_seconds; codex.DefaultStartTimeout when 0).
	StartTimeout time.Duration
	// Deadline bounds the whole assimilation ([assimilation]
	// deadline_seconds; codex.DefaultDeadline when 0).
	Deadline time.Duration
	// Parallel is how many extensions run at once (codex.DefaultParallel when 0).
	Parallel int
	// Only restricts the assimilation to these extension names (the core
	// included only when listed); nil means all.
	Only []string
	// Logger receives progress and the extensions' log lines; nil discards.
	Logger hclog.Logger
	// HostID is the host fingerprint cache entries are stored under and
	// must match; empty means cache.HostFingerprint() of this executable.
	HostID string
	// LogDir is where what each launched extension wrote is kept (see
	// Log); empty keeps nothing.
	LogDir string
	// ProcessDir is where the assimilation keeps a directory of its own
	// for the extensions' sockets and temporary files (paths.ProcessDir);
	// empty leaves them in the system's temporary directory.
	ProcessDir string
	// runDir is this assimilation's directory under ProcessDir.
	runDir *launch.RunDir
	// cache is the registration cache, nil when there is none; stash
	// keeps a new entry, which Assimilate stores with all the others
	// once every extension is done.
	cache *cache.Cache
	stash func(name string, e *cache.Entry)
}

// Assimilate launches the core and every installed extension (at most
// Parallel at a time), collects and validates what each registers, and
// returns it all. Any failure fails the whole assimilation: the error
// lists every failing extension, sorted by name, each with what it did and
// the tail of its stderr, and no Result is returned. Every launched process,
// and everything left in its process group or PID namespace, is gone when
// Assimilate returns.
func Assimilate(ctx context.Context, opts Options) (*Result, error) {
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = codex.DefaultStartTimeout
	}
	if opts.Deadline <= 0 {
		opts.Deadline = codex.DefaultDeadline
	}
	if opts.Parallel <= 0 {
		opts.Parallel = codex.DefaultParallel
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.CacheDir != "" && !opts.NoCache && opts.HostID == "" {
		opts.HostID = cache.HostFingerprint()
	}
	var (
		stashMu sync.Mutex
		stashed = map[string]*cache.Entry{}
	)
	if opts.CacheDir != "" && !opts.NoCache {
		opts.cache = cache.New(opts.CacheDir)
		opts.stash = func(name string, e *cache.Entry) {
			stashMu.Lock()
			defer stashMu.Unlock()
			stashed[name] = e
		}
	}
	want := func(name string) bool {
		if opts.Only == nil {
			return true
		}
		for _, n := range opts.Only {
			if n == name {
				return true
			}
		}
		return false
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, opts.Deadline)
	defer cancel()

	if opts.ProcessDir != "" {
		rd, err := launch.NewRunDir(opts.ProcessDir)
		if err != nil {
			return nil, err
		}
		opts.runDir = rd
		defer rd.Remove() // after every extension is gone (deferred below)
	}

	// Extensions that succeeded are shut down in the background, so that
	// their slot goes to the next one at once; Assimilate still returns only
	// once every one of them is gone.
	var reaper sync.WaitGroup
	defer reaper.Wait()
	reap := func(end func()) {
		reaper.Add(1)
		go func() {
			defer reaper.Done()
			end()
		}()
	}

	type job struct {
		name string
		run  func(ctx context.Context) (*outcome, error)
	}
	var jobs []job
	if opts.Core != nil && want(CoreName) {
		jobs = append(jobs, job{CoreName, func(ctx context.Context) (*outcome, error) { return assimilateCore(ctx, opts) }})
	}
	var inv *Inventory
	if opts.ExtensionsDir != "" {
		// A concurrent install or remove waits until every binary has been
		// verified and run against the lock file read here.
		release, err := lockfile.AcquireShared(opts.ExtensionsDir)
		if err != nil {
			return nil, err
		}
		defer release()
		if inv, err = Discover(opts.ExtensionsDir); err != nil {
			return nil, err
		}
		if opts.Only == nil {
			var names []string
			for _, in := range inv.Extensions {
				names = append(names, in.Name)
			}
			if err := unknownTables(opts, names); err != nil {
				return nil, err
			}
		}
		for _, in := range inv.Extensions {
			if !want(in.Name) {
				continue
			}
			in := in
			jobs = append(jobs, job{in.Name, func(ctx context.Context) (*outcome, error) { return assimilateBinary(ctx, opts, in, reap) }})
		}
	}
	if opts.Only != nil {
		for _, n := range opts.Only {
			found := false
			for _, j := range jobs {
				found = found || j.name == n
			}
			if !found {
				return nil, fmt.Errorf("extension %s is not installed; see the installed ones with: lychd extension list", quoteName(n))
			}
		}
	}

	outcomes := make([]*outcome, len(jobs))
	errs := make([]*failure.Error, len(jobs))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	// Slots are taken in job order (core first, then by name), so which
	// extensions run first, and which ones the deadline leaves unstarted,
	// is deterministic.
	for i, j := range jobs {
		notStarted := &failure.Error{Extension: j.name, Msg: deadlineMsg(opts.Deadline, "before it could be started")}
		if ctx.Err() != nil {
			errs[i] = notStarted
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = notStarted
			continue
		}
		// A slot freed by the deadline's own kill races with ctx.Done in
		// the select above, and the kill may come from a timer of the same
		// deadline that fired before ctx's own (gRPC's); the deadline wins.
		if expired(ctx) {
			<-sem
			errs[i] = notStarted
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out, err := guard(j.name, func() (*outcome, error) { return j.run(ctx) })
			if err != nil {
				e, ok := failure.As(err)
				if !ok {
					e = &failure.Error{Extension: j.name, Msg: err.Error(), Err: err}
				}
				errs[i] = e
				return
			}
			outcomes[i] = out
		}()
	}
	wg.Wait()
	// One write for every new entry, those of a failed assimilation's
	// successful extensions included.
	if opts.cache != nil {
		if err := opts.cache.StoreAll(stashed); err != nil {
			opts.Logger.Warn("could not cache the registrations", "error", err)
		}
	}
	// Interrupted (Ctrl-C): what each extension did when it was stopped is
	// a consequence, not news; the deadline was not the cause.
	if err := parent.Err(); err != nil {
		return nil, fmt.Errorf("%w (%w): lychd stopped every extension it had launched", ErrInterrupted, err)
	}
	var failed []*failure.Error
	for _, e := range errs {
		if e != nil {
			failed = append(failed, e)
		}
	}
	if err := failure.Join(failed); err != nil {
		return nil, err
	}
	res := &Result{}
	unisolated := false
	for _, o := range outcomes {
		res.Add(o.runes, o.animators, o.stats)
		res.Presets = append(res.Presets, o.presets...)
		res.Launched = res.Launched || (!o.stats.Cached && o.stats.Name != CoreName)
		unisolated = unisolated || o.stats.Unisolated
	}
	if unisolated {
		res.Warnings = append(res.Warnings, UnisolatedWarning)
	}
	return res, nil
}

// outcome is one extension's successful
type outcome struct {
	runes     []model.Rune
	animators []model.Animator
	presets   []registry.Preset
	stats     Stats
}

// guard runs fn, turning a panic in the host while it handles an
// extension's data into that extension's error.
func guard(name string, fn func() (*outcome, error)) (out *outcome, err error) {
	defer func() {
		if r := recover(); r != nil {
			out = nil
			err = &failure.Error{Extension: name, Msg: fmt.Sprintf("lychd panicked while handling it (%v); please report this bug with the following stack:\n%s", r, debug.Stack())}
		}
	}()
	return fn()
}

func deadlineMsg(d time.Duration, what string) string {
	return fmt.Sprintf("the assimilation deadline of %s passed %s; raise deadline_seconds in the [assimilation] table of lychd.toml if your extensions are just slow", fmtDuration(d), what)
}

func fmtDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return d.Round(time.Millisecond).String()
}

// assimilateCore runs the in-process core through the same Collector
// checks as a binary. It is never cached: it costs less than reading a
// cache entry, and whatever it registers is decided by this lychd.
func assimilateCore(ctx context.Context, opts Options) (*outcome, error) {
	src := model.Source{Kind: model.SourceCore, Name: CoreName}
	client := wire.InProcess(opts.Core, wire.WithLogger(opts.Logger.Named(CoreName)))
	fail := func(msg string, err error) error {
		return &failure.Error{Extension: CoreName, Msg: msg, Err: err}
	}
	t0 := time.Now()
	info, err := callWithin(ctx, func(ctx context.Context) (sdk.Info, error) { return client.Info(ctx) }, nil)
	if err != nil {
		return nil, fail(callFailure(ctx, opts.Deadline, "describing itself", err), err)
	}
	if info.Name != CoreName {
		return nil, fail(fmt.Sprintf("the built-in extension calls itself %s instead of %q", quoteName(info.Name), CoreName), nil)
	}
	col := registry.New(src)
	if _, err := callWithin(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, client.Assimilate(ctx, opts.Config[CoreName], col)
	}, nil); err != nil {
		if msg, ok := configFailure(opts, CoreName, err); ok {
			return nil, fail(msg, err)
		}
		return nil, fail(callFailure(ctx, opts.Deadline, "assimilating", err), err)
	}
	runes, animators, err := col.Result()
	if err != nil {
		return nil, fail(err.Error(), err)
	}
	return &outcome{runes: runes, animators: animators, presets: col.Presets(), stats: Stats{
		Name: CoreName, Version: info.Version, Protocol: sdk.ProtocolVersion, Source: src,
		Assimilation: time.Since(t0), Runes: len(runes), Animators: len(animators),
	}}, nil
}

// recorder passes registrations on to a Collector and keeps those it
// accepts, in order, for the registration cache.
type recorder struct {
	*registry.Collector
	mu        sync.Mutex
	runes     []sdk.Rune
	animators []sdk.Animator
	presets   []sdk.NamedPreset
}

func (r *recorder) AddPreset(ctx context.Context, name string, p preset.Preset) error {
	if err := r.Collector.AddPreset(ctx, name, p); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.presets = append(r.presets, sdk.NamedPreset{Name: name, Preset: p})
	return nil
}

func (r *recorder) AddRune(ctx context.Context, ru sdk.Rune) error {
	if err := r.Collector.AddRune(ctx, ru); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runes = append(r.runes, ru)
	return nil
}

func (r *recorder) RegisterAnimator(ctx context.Context, a sdk.Animator) error {
	if err := r.Collector.RegisterAnimator(ctx, a); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.animators = append(r.animators, a)
	return nil
}

// assimilateBinary verifies, launches and assimilates one installed
// extension, or takes its registration from the cache.
func assimilateBinary(ctx context.Context, opts Options, in Extension, reap func(func())) (_ *outcome, failed error) {
	src := model.Source{Kind: model.SourceExtension, Name: in.Name}
	if in.Problem != "" {
		return nil, &failure.Error{Extension: in.Name, Msg: in.Problem}
	}
	config := []byte(opts.Config[in.Name])
	c := opts.cache
	var key cache.Key
	if c != nil {
		k, err := cacheKey(in, config, opts.HostID)
		if err == nil {
			key = k
			if out, ok := fromCache(c, in, key); ok {
				return out, nil
			}
		} else {
			c = nil
		}
	}

	t0 := time.Now()
	p, err := launch.Start(ctx, launch.Spec{
		Name:         in.Name,
		Path:         in.Path,
		SHA256:       in.Entry.SHA256,
		Identity:     in.Entry.Identity,
		Source:       in.Entry.Source,
		StartTimeout: opts.StartTimeout,
		Logger:       opts.Logger,
		Env:          opts.runDir.Env(),
	})
	if err != nil {
		if launch.IsCanceled(err) || ctx.Err() != nil {
			err = &failure.Error{Extension: in.Name, Msg: deadlineMsg(opts.Deadline, "while it was starting"), Err: err}
		}
		keepLog(opts, in.Name, "", t0, nil, err)
		return nil, err
	}
	var version string
	succeeded := false
	defer func() {
		if !succeeded {
			p.Close()
			keepLog(opts, in.Name, version, t0, p, failed)
		}
	}()
	launched := time.Since(t0)
	if p.Protocol != in.Entry.Protocol {
		return nil, p.Failure(fmt.Sprintf("now speaks protocol %d but was installed speaking protocol %d; reinstall it with: lychd extension install %s", p.Protocol, in.Entry.Protocol, failure.InstallSource(in.Entry.Source)))
	}

	t1 := time.Now()
	info, err := callWithin(ctx, func(ctx context.Context) (sdk.Info, error) { return p.Client.Info(ctx) }, p.Close)
	if err != nil {
		return nil, processFailure(ctx, opts, p, "describing itself", err)
	}
	version = info.Version
	if info.Name != in.Name {
		return nil, p.Failure(fmt.Sprintf("calls itself %s but is installed as %q; reinstall it with: lychd extension install %s", quoteName(info.Name), in.Name, failure.InstallSource(in.Entry.Source)))
	}
	if err := sdk.ValidateInfo(info); err != nil {
		return nil, p.Failure(fmt.Sprintf("describes itself wrongly: %v", err))
	}
	col := &recorder{Collector: registry.New(src)}
	if _, err := callWithin(ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, p.Client.Assimilate(ctx, config, col)
	}, p.Close); err != nil {
		if rej := col.Rejected(); rej != nil {
			return nil, p.FailureRepeating(rej.Error(), rej.Error())
		}
		return nil, processFailure(ctx, opts, p, "assimilating", err)
	}
	runes, animators, err := col.Result()
	if err != nil {
		return nil, p.Failure(err.Error())
	}
	assimilated := time.Since(t1)
	succeeded = true
	reap(func() {
		p.Shutdown()
		keepLog(opts, in.Name, version, t0, p, nil)
	})

	out := &outcome{runes: runes, animators: animators, presets: col.Presets(), stats: Stats{
		Name: in.Name, Version: info.Version, Protocol: p.Protocol, SHA256: in.Entry.SHA256, Source: src,
		Launch: launched, Verify: p.Hashed, Assimilation: assimilated, Runes: len(runes), Animators: len(animators),
		Unisolated: !p.Isolated,
	}}
	if c != nil {
		opts.stash(in.Name, &cache.Entry{Key: key, Version: info.Version, Runes: col.runes, Animators: col.animators, Presets: col.presets})
	}
	return out, nil
}

// callWithin runs call and returns when it does or when ctx ends, whichever
// is first; in the latter case abort (if any) is called to unblock it. A
// panic inside call becomes an error.
func callWithin[T any](ctx context.Context, call func(context.Context) (T, error), abort func()) (T, error) {
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	go func() {
		var r res
		defer func() {
			if p := recover(); p != nil {
				r.err = fmt.Errorf("panic: %v", p)
			}
			ch <- r
		}()
		r.v, r.err = call(ctx)
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		if abort != nil {
			abort()
		}
		var zero T
		return zero, ctx.Err()
	}
}

// processFailure explains a failed call to a launched extension: a crash,
// the deadline, or an error the extension returned.
func processFailure(ctx context.Context, opts Options, p *launch.Process, doing string, err error) error {
	if ctx.Err() != nil || isDeadline(err) {
		p.Close()
		return p.Failure(fmt.Sprintf("did not finish %s within the assimilation deadline of %s and was killed; raise deadline_seconds in the [assimilation] table of lychd.toml if it is just slow", doing, fmtDuration(opts.Deadline)))
	}
	if isTransport(err) && p.Exited(5*time.Second) {
		st := p.ExitStatus()
		what := "exited"
		if strings.Contains(strings.Join(p.StderrTail(), "\n"), "panic: ") {
			what = "crashed with a panic"
		}
		return p.Failure(fmt.Sprintf("%s while %s (%s)", what, doing, st))
	}
	text := err.Error()
	if s, ok := status.FromError(err); ok {
		text = s.Message()
	}
	if msg, ok := configFailure(opts, p.Name(), err); ok {
		return p.FailureRepeating(msg, text)
	}
	return p.FailureRepeating(callFailure(ctx, opts.Deadline, doing, err), text)
}

// callFailure phrases an error returned by Info or Assimilate.
func callFailure(ctx context.Context, deadline time.Duration, doing string, err error) string {
	if ctx.Err() != nil || isDeadline(err) {
		return fmt.Sprintf("did not finish %s within the assimilation deadline of %s; raise deadline_seconds in the [assimilation] table of lychd.toml if it is just slow", doing, fmtDuration(deadline))
	}
	msg := err.Error()
	if s, ok := status.FromError(err); ok {
		msg = s.Message()
	}
	return fmt.Sprintf("failed while %s: %s", doing, msg)
}

// isDeadline reports whether err is the assimilation deadline, as a
// context error or as gRPC's own DeadlineExceeded (gRPC's timer can fire a
// moment before the context's).
func isDeadline(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	s, ok := status.FromError(err)
	return ok && s.Code() == codes.DeadlineExceeded
}

// isTransport reports whether err says the connection to the plugin broke
// (rather than the plugin returning an error).
func isTransport(err error) bool {
	s, ok := status.FromError(err)
	if !ok {
		return strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection")
	}
	return s.Code() == codes.Unavailable || s.Code() == codes.Canceled || s.Code() == codes.Internal
}

// expired reports whether ctx is done or its deadline has passed, even if
// ctx's own timer has not fired yet.
func expired(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
