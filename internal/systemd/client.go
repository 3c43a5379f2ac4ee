package systemd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Client is a Manager talking to a real systemd user manager.
type Client struct {
	conn *sd.Conn
	// bus is conn's method connection, for the calls go-systemd lacks.
	bus *dbus.Conn
	// Where the client connected, for error messages.
	addr string

	mu   sync.Mutex
	subs map[chan jobSignal]struct{}
}

var _ Manager = (*Client)(nil)

// jobSignal is a JobRemoved signal.
type jobSignal struct {
	id     uint32
	unit   string
	result string
}

// Connect connects to the user manager of the calling user: its private
// socket $XDG_RUNTIME_DIR/systemd/private (runtimeDir; /run/user/UID when
// empty), falling back to the session bus.
func Connect(ctx context.Context, runtimeDir string) (*Client, error) {
	if runtimeDir == "" {
		runtimeDir = fmt.Sprintf("/run/user/%d", os.Getuid())
	}
	private := filepath.Join(runtimeDir, "systemd", "private")
	var dialed []*dbus.Conn
	dial := func(hello bool, open func(...dbus.ConnOption) (*dbus.Conn, error)) func() (*dbus.Conn, error) {
		return func() (*dbus.Conn, error) {
			c, err := open(dbus.WithContext(ctx))
			if err != nil {
				return nil, err
			}
			if err := c.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
				c.Close()
				return nil, err
			}
			if hello {
				if err := c.Hello(); err != nil {
					c.Close()
					return nil, err
				}
			}
			dialed = append(dialed, c)
			return c, nil
		}
	}
	privateOpen := func(opts ...dbus.ConnOption) (*dbus.Conn, error) {
		return dbus.Dial("unix:path="+private, opts...)
	}
	addr := private
	conn, err := sd.NewConnection(dial(false, privateOpen))
	if err != nil {
		dialed = nil
		var serr error
		conn, serr = sd.NewConnection(dial(true, dbus.SessionBusPrivate))
		if serr != nil {
			return nil, &NoManagerError{Socket: private, PrivateErr: err, BusErr: serr}
		}
		addr = "the session bus"
	}
	// go-systemd dials the method connection first, then the signal one.
	if len(dialed) != 2 {
		conn.Close()
		return nil, fmt.Errorf("connecting to the systemd user manager at %s: expected 2 connections, made %d", addr, len(dialed))
	}
	c := &Client{conn: conn, bus: dialed[0], addr: addr, subs: map[chan jobSignal]struct{}{}}
	sig := make(chan *dbus.Signal, 1024)
	dialed[1].Signal(sig)
	// On a bus (not the private socket) signals need a match rule.
	dialed[1].BusObject().Call("org.freedesktop.DBus.AddMatch", 0,
		"type='signal',interface='org.freedesktop.systemd1.Manager',member='JobRemoved'")
	go c.forward(sig)
	// Without Subscribe systemd only tells a client about its own jobs, not
	// the conflicting units' stop jobs a transaction adds.
	if err := conn.Subscribe(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("subscribing to the systemd user manager at %s: %w", addr, err)
	}
	return c, nil
}

// Close closes the connection.
func (c *Client) Close() error {
	c.conn.Close()
	return nil
}

func (c *Client) forward(sig <-chan *dbus.Signal) {
	for s := range sig {
		if s.Name != "org.freedesktop.systemd1.Manager.JobRemoved" || len(s.Body) < 4 {
			continue
		}
		id, _ := s.Body[0].(uint32)
		unit, _ := s.Body[2].(string)
		result, _ := s.Body[3].(string)
		js := jobSignal{id: id, unit: unit, result: result}
		c.mu.Lock()
		for ch := range c.subs {
			select {
			case ch <- js:
			default: // a stalled subscriber must not block the others
			}
		}
		c.mu.Unlock()
	}
}

func (c *Client) subscribe() chan jobSignal {
	ch := make(chan jobSignal, 4096)
	c.mu.Lock()
	c.subs[ch] = struct{}{}
	c.mu.Unlock()
	return ch
}

func (c *Client) unsubscribe(ch chan jobSignal) {
	c.mu.Lock()
	delete(c.subs, ch)
	c.mu.Unlock()
}

// Reload reloads the manager (daemon-reload).
func (c *Client) Reload(ctx context.Context) error {
	if err := c.conn.ReloadContext(ctx); err != nil {
		return fmt.Errorf("daemon-reload of the systemd user manager at %s: %w", c.addr, err)
	}
	return nil
}

// ResetFailed resets the failed state and start rate limit of the inactive
// or failed loaded units matching patterns.
func (c *Client) ResetFailed(ctx context.Context, patterns ...string) error {
	st, err := c.conn.ListUnitsByPatternsContext(ctx, []string{"inactive", "failed"}, patterns)
	if err != nil {
		return fmt.Errorf("listing units %s at %s: %w", strings.Join(patterns, " "), c.addr, err)
	}
	for _, u := range st {
		if err := c.conn.ResetFailedUnitContext(ctx, u.Name); err != nil {
			return fmt.Errorf("reset-failed %s at %s: %w", u.Name, c.addr, err)
		}
	}
	return nil
}

// Start starts units (job mode "replace") and waits for their transactions.
func (c *Client) Start(ctx context.Context, units []string, progress func(Job)) ([]Job, error) {
	return c.run(ctx, "start", units, progress)
}

// Stop stops units (job mode "replace") and waits for their transactions.
func (c *Client) Stop(ctx context.Context, units []string, progress func(Job)) ([]Job, error) {
	return c.run(ctx, "stop", units, progress)
}

// Enqueue starts units (job mode "replace") and returns the jobs their
// transactions queued, without waiting for them.
func (c *Client) Enqueue(ctx context.Context, units []string) ([]Job, error) {
	jobs := map[uint32]*Job{}
	minID, err := c.queue(ctx, "start", units, jobs)
	if err != nil {
		return sortedJobs(jobs), err
	}
	c.listQueued(ctx, minID, jobs)
	return sortedJobs(jobs), nil
}

// queue asks systemd for a verb job on each unit and records them in jobs;
// it returns the smallest job id.
func (c *Client) queue(ctx context.Context, verb string, units []string, jobs map[uint32]*Job) (uint32, error) {
	var minID uint32
	for _, u := range units {
		var id int
		var err error
		if verb == "start" {
			id, err = c.conn.StartUnitContext(ctx, u, "replace", nil)
		} else {
			id, err = c.conn.StopUnitContext(ctx, u, "replace", nil)
		}
		if err != nil {
			var de dbus.Error
			if errors.As(err, &de) && de.Name == "org.freedesktop.systemd1.NoSuchUnit" {
				// lychd resolves names from its own unit files; systemd
				// learns of new ones at a daemon-reload.
				return minID, fmt.Errorf("%s %s: systemd has no such unit loaded (%w); if lychd bind wrote it, load it with: systemctl --user daemon-reload", verb, u, err)
			}
			return minID, fmt.Errorf("%s %s: %w", verb, u, err)
		}
		jobs[uint32(id)] = &Job{ID: uint32(id), Unit: u, Type: verb, Requested: true}
		if minID == 0 || uint32(id) < minID {
			minID = uint32(id)
		}
	}
	return minID, nil
}

// listQueued adds to jobs the queued jobs from minID on: the transactions'
// other jobs got ids after the first requested one and are queued now,
// unless they already finished.
func (c *Client) listQueued(ctx context.Context, minID uint32, jobs map[uint32]*Job) {
	queued, err := c.conn.ListJobsContext(ctx)
	if err != nil {
		return
	}
	for _, q := range queued {
		if q.Id < minID {
			continue
		}
		if j, ok := jobs[q.Id]; ok {
			j.Type = q.JobType
			continue
		}
		jobs[q.Id] = &Job{ID: q.Id, Unit: q.Unit, Type: q.JobType}
	}
}

func (c *Client) run(ctx context.Context, verb string, units []string, progress func(Job)) ([]Job, error) {
	if progress == nil {
		progress = func(Job) {}
	}
	sub := c.subscribe()
	defer c.unsubscribe(sub)

	jobs := map[uint32]*Job{}
	minID, err := c.queue(ctx, verb, units, jobs)
	if err != nil {
		return sortedJobs(jobs), err
	}
	c.listQueued(ctx, minID, jobs)
	for _, j := range sortedJobs(jobs) {
		progress(j)
	}
	pending := map[uint32]bool{}
	for id := range jobs {
		pending[id] = true
	}
	// A service whose start fails or times out is restarted by Restart=
	// while its start job stays queued (systemd counts it in NRestarts):
	// lychd stops waiting at the first restart instead of forever.
	restarts := map[uint32]uint32{}
	if verb == "start" {
		for id, j := range jobs {
			if j.Type == "start" && strings.HasSuffix(j.Unit, ".service") {
				if n, ok := c.restarts(ctx, j.Unit); ok {
					restarts[id] = n
				}
			}
		}
	}
	// JobRemoved signals are the way to learn results; polling the queue is
	// only a safety net should a signal be lost.
	poll := time.NewTicker(2 * time.Second)
	defer poll.Stop()
	missing := map[uint32]bool{}
	for len(pending) > 0 {
		select {
		case <-ctx.Done():
			return sortedJobs(jobs), fmt.Errorf("waiting for %s jobs: %w", verb, ctx.Err())
		case <-poll.C:
			queued, err := c.conn.ListJobsContext(ctx)
			if err != nil {
				continue
			}
			inQueue := map[uint32]bool{}
			for _, q := range queued {
				inQueue[q.Id] = true
			}
			for id := range pending {
				if inQueue[id] {
					continue
				}
				// Gone from the queue for a whole poll period without a
				// signal: judge the result by the unit's state.
				if !missing[id] {
					missing[id] = true
					continue
				}
				j := jobs[id]
				j.Result = ResultFailed
				if t := c.guessType(ctx, j.Unit); t == j.Type || j.Type == "" {
					j.Result = ResultDone
				}
				delete(pending, id)
				progress(*j)
			}
			restarted := false
			for id, was := range restarts {
				if !pending[id] {
					continue
				}
				if n, ok := c.restarts(ctx, jobs[id].Unit); ok && n > was {
					j := jobs[id]
					j.Result = ResultRestarted
					delete(pending, id)
					progress(*j)
					restarted = true
				}
			}
			if restarted {
				// The jobs left may wait for the restarted one.
				return sortedJobs(jobs), nil
			}
		case s := <-sub:
			if s.id < minID {
				continue
			}
			j, ok := jobs[s.id]
			if !ok {
				// Finished before ListJobs saw it: the unit's state tells
				// what it did.
				j = &Job{ID: s.id, Unit: s.unit, Type: c.guessType(ctx, s.unit)}
				jobs[s.id] = j
				progress(*j) // so that every job is reported queued, then finished
			}
			if j.Result != "" {
				continue
			}
			j.Result = s.result
			delete(pending, s.id)
			progress(*j)
		}
	}
	return sortedJobs(jobs), nil
}

// restarts reads a service's NRestarts: how many times Restart= restarted
// it since it was last started by a job.
func (c *Client) restarts(ctx context.Context, unit string) (uint32, bool) {
	p, err := c.conn.GetServicePropertyContext(ctx, unit, "NRestarts")
	if err != nil {
		return 0, false
	}
	n, ok := p.Value.Value().(uint32)
	return n, ok
}

func (c *Client) guessType(ctx context.Context, unit string) string {
	st, err := c.conn.ListUnitsByNamesContext(ctx, []string{unit})
	if err != nil || len(st) != 1 {
		return ""
	}
	switch st[0].ActiveState {
	case "active", "activating", "reloading":
		return "start"
	case "inactive", "failed", "deactivating":
		return "stop"
	}
	return ""
}

func sortedJobs(m map[uint32]*Job) []Job {
	out := make([]Job, 0, len(m))
	for _, j := range m {
		out = append(out, *j)
	}
	sort.Slice(out, func(i, k int) bool { return out[i].ID < out[k].ID })
	return out
}

// ListUnitStates lists the loaded units matching patterns and the known
// ones (installed unit files when known is nil) with their states only: a
// constant number of calls, whatever the number of units.
func (c *Client) ListUnitStates(ctx context.Context, known []string, patterns ...string) ([]Unit, error) {
	names := map[string]bool{}
	for _, n := range known {
		names[n] = true
	}
	if known == nil {
		files, err := c.conn.ListUnitFilesByPatternsContext(ctx, nil, patterns)
		if err != nil {
			return nil, fmt.Errorf("listing unit files %s at %s: %w", strings.Join(patterns, " "), c.addr, err)
		}
		for _, f := range files {
			names[filepath.Base(f.Path)] = true
		}
	}
	loaded, err := c.conn.ListUnitsByPatternsContext(ctx, nil, patterns)
	if err != nil {
		return nil, fmt.Errorf("listing units %s at %s: %w", strings.Join(patterns, " "), c.addr, err)
	}
	for _, u := range loaded {
		names[u.Name] = true
	}
	var list []string
	for n := range names {
		// Template files (foo@.service) are not units.
		if !strings.Contains(n, "@.") {
			list = append(list, n)
		}
	}
	sort.Strings(list)
	if len(list) == 0 {
		return nil, nil
	}
	// ListUnitsByNames loads units that are only installed as files.
	st, err := c.conn.ListUnitsByNamesContext(ctx, list)
	if err != nil {
		return nil, fmt.Errorf("reading units at %s: %w", c.addr, err)
	}
	out := make([]Unit, 0, len(st))
	for _, s := range st {
		out = append(out, Unit{Name: s.Name, Description: s.Description, LoadState: s.LoadState, ActiveState: s.ActiveState, SubState: s.SubState})
	}
	return out, nil
}

// ListUnits lists loaded and installed units matching patterns
// (ListUnitStates), then reads every property of the loaded units that are
// not inactive (ReadUnit, several in flight at once). See Manager.ListUnits
// for why inactive units are not read.
func (c *Client) ListUnits(ctx context.Context, known []string, patterns ...string) ([]Unit, error) {
	st, err := c.ListUnitStates(ctx, known, patterns...)
	if err != nil || len(st) == 0 {
		return nil, err
	}
	out := slices.Clone(st)
	var read []int
	for i, u := range st {
		if Resident(u) {
			read = append(read, i)
		}
	}
	errs := make([]error, len(st))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(len(read), listWorkers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i], errs[i] = c.ReadUnit(ctx, st[i].Name)
			}
		}()
	}
	for _, i := range read {
		work <- i
	}
	close(work)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// listWorkers bounds the ReadUnit calls ListUnits has in flight.
const listWorkers = 8

// ReadUnit reads one unit's properties in a single call: GetAll over every
// interface of the unit's object, as `systemctl show` does. Each call on
// an inactive unit makes systemd load it and the units it references, and
// unload them again, so lychd reads as few units as it can, each once.
func (c *Client) ReadUnit(ctx context.Context, name string) (Unit, error) {
	var props map[string]dbus.Variant
	obj := c.bus.Object("org.freedesktop.systemd1", dbus.ObjectPath("/org/freedesktop/systemd1/unit/"+sd.PathBusEscape(name)))
	if err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.GetAll", 0, "").Store(&props); err != nil {
		return Unit{}, fmt.Errorf("reading unit %s at %s: %w", name, c.addr, err)
	}
	v := func(k string) any {
		if p, ok := props[k]; ok {
			return p.Value()
		}
		return nil
	}
	u := Unit{
		Name:                   name,
		Description:            str(v("Description")),
		LoadState:              str(v("LoadState")),
		ActiveState:            str(v("ActiveState")),
		SubState:               str(v("SubState")),
		ActiveEnterTimestamp:   usec(v("ActiveEnterTimestamp")),
		InactiveEnterTimestamp: usec(v("InactiveEnterTimestamp")),
		NeedDaemonReload:       v("NeedDaemonReload") == true,
		Result:                 str(v("Result")),
		FragmentPath:           str(v("FragmentPath")),
		SourcePath:             str(v("SourcePath")),
		Conflicts:              strs(v("Conflicts")),
		ConsistsOf:             strs(v("ConsistsOf")),
		Wants:                  strs(v("Wants")),
		Requires:               strs(v("Requires")),
		BindsTo:                strs(v("BindsTo")),
		PartOf:                 strs(v("PartOf")),
	}
	if us, ok := v("TimeoutStartUSec").(uint64); ok && us != 0 && us != math.MaxUint64 {
		u.TimeoutStart = time.Duration(us) * time.Microsecond
	}
	for _, prop := range []string{"ExecStartPre", "ExecStart"} {
		if x := v(prop); x != nil {
			u.PublishedPorts = append(u.PublishedPorts, publishedPorts(x)...)
		}
	}
	u.HealthCheck = hasHealthCheck(v("ExecStart"))
	return u, nil
}

// LastLoad reads the manager's UnitsLoadTimestamp (set by each
// daemon-reload, systemd 248 and later), else its UnitsLoadFinishTimestamp
// (the load at start).
func (c *Client) LastLoad(ctx context.Context) (time.Time, error) {
	obj := c.bus.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1")
	var last time.Time
	for _, prop := range []string{"UnitsLoadTimestamp", "UnitsLoadFinishTimestamp"} {
		var v dbus.Variant
		err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.systemd1.Manager", prop).Store(&v)
		if err != nil {
			continue // an older manager without the property
		}
		if t := usec(v.Value()); t.After(last) {
			last = t
		}
	}
	if last.IsZero() {
		return last, fmt.Errorf("reading when the systemd user manager at %s last loaded its units: it reports neither UnitsLoadTimestamp nor UnitsLoadFinishTimestamp", c.addr)
	}
	return last, nil
}

func usec(v any) time.Time {
	n, ok := v.(uint64)
	if !ok || n == 0 {
		return time.Time{}
	}
	return time.UnixMicro(int64(n))
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// strs returns a string-list property sorted (systemd's order is a hash
// set's).
func strs(v any) []string {
	s, _ := v.([]string)
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

// publishedPorts extracts --publish/-p values from an Exec* property
// (a(sasbttttuii): path, argv, ...).
func publishedPorts(v any) []string {
	cmds, ok := v.([][]any)
	if !ok {
		return nil
	}
	var out []string
	for _, cmd := range cmds {
		if len(cmd) < 2 {
			continue
		}
		argv, _ := cmd[1].([]string)
		for i, a := range argv {
			switch {
			case (a == "--publish" || a == "-p") && i+1 < len(argv):
				out = append(out, argv[i+1])
			case strings.HasPrefix(a, "--publish="):
				out = append(out, strings.TrimPrefix(a, "--publish="))
			}
		}
	}
	return out
}

// hasHealthCheck reports whether an ExecStart property runs podman with a
// health check (--health-cmd).
func hasHealthCheck(v any) bool {
	cmds, ok := v.([][]any)
	if !ok {
		return false
	}
	for _, cmd := range cmds {
		if len(cmd) < 2 {
			continue
		}
		argv, _ := cmd[1].([]string)
		for _, a := range argv {
			if a == "--health-cmd" || strings.HasPrefix(a, "--health-cmd=") {
				return true
			}
		}
	}
	return false
}

// ErrNoManager matches (errors.Is) every *NoManagerError.
var ErrNoManager = errors.New("no systemd user manager reachable")

// NoManagerError is Connect's error when neither the manager's private
// socket nor the session bus answers.
type NoManagerError struct {
	// Socket is the private socket tried first.
	Socket string
	// PrivateErr and BusErr are why each attempt failed.
	PrivateErr, BusErr error
}

// Error says where no manager answered and how to get one.
func (e *NoManagerError) Error() string {
	return fmt.Sprintf("no systemd user manager reachable at %s (%v) nor on the session bus (%v); is `systemctl --user` working? (try: loginctl enable-linger $USER)", e.Socket, e.PrivateErr, e.BusErr)
}

// Is makes errors.Is(err, ErrNoManager) true.
func (e *NoManagerError) Is(target error) bool { return target == ErrNoManager }

// Unwrap returns both causes.
func (e *NoManagerError) Unwrap() []error { return []error{e.PrivateErr, e.BusErr} }

// ReloadUser connects to the user manager (see Connect), reloads it and
// disconnects. Its error matches ErrNoManager when no manager is reachable.
func ReloadUser(ctx context.Context, runtimeDir string) error {
	c, err := Connect(ctx, runtimeDir)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Reload(ctx)
}
