// Package systemd drives the user's systemd manager over D-Bus: reload it,
// start and stop units while reporting every job of the resulting
// transaction, and list units with the state lychd shows.
//
// Connect returns a *Client for the real manager; commands depend on the
// Manager interface so that their tests can use a fake.
package systemd

import (
	"context"
	"time"
)

// Manager is what lychd needs from a systemd manager.
type Manager interface {
	// Reload is `systemctl --user daemon-reload`: it reruns the generators
	// (Quadlet) and reloads every unit file. It returns once reloaded.
	Reload(ctx context.Context) error
	// Start starts units with job mode "replace" and waits for every job of
	// the transactions (including stops of conflicting units), or until a
	// service the transactions start is restarted by its Restart= setting
	// before its start job finished (that job then has ResultRestarted, and
	// the jobs still queued have no Result). progress,
	// when not nil, sees each job when it is queued (Result "") and when it
	// finishes.
	Start(ctx context.Context, units []string, progress func(Job)) ([]Job, error)
	// Enqueue starts units with job mode "replace" like Start, but returns
	// as soon as systemd has queued the transactions, with every job they
	// hold that is still queued (Result ""), without waiting for any.
	Enqueue(ctx context.Context, units []string) ([]Job, error)
	// Stop stops units like Start starts them.
	Stop(ctx context.Context, units []string, progress func(Job)) ([]Job, error)
	// ListUnits returns the loaded units whose names match one of the shell
	// patterns (e.g. "lychd-*") and the units named in known (the units
	// lychd's files define, see package installed), sorted by name, with
	// their states; the Resident ones carry every other property too. A nil
	// known asks systemd for its unit files instead, which scans every unit
	// directory (1.2-1.8 s with 1,000 soulstones). An inactive unit is not read: systemd unloads it again
	// after each read, and loading one lychd unit loads every unit it
	// references, so reading every inactive unit loaded the whole graph
	// once per unit (50 s for 300 soulstones). Callers ReadUnit the few
	// inactive units they need.
	ListUnits(ctx context.Context, known []string, patterns ...string) ([]Unit, error)
	// ListUnitStates is ListUnits with only Name, Description, LoadState,
	// ActiveState and SubState set: a constant number of calls, where
	// ListUnits reads every unit.
	ListUnitStates(ctx context.Context, known []string, patterns ...string) ([]Unit, error)
	// ReadUnit returns one unit with every property ListUnits sets.
	ReadUnit(ctx context.Context, name string) (Unit, error)
	// LastLoad returns when the manager last loaded its units: its last
	// daemon-reload, else its start.
	LastLoad(ctx context.Context) (time.Time, error)
	// ResetFailed is `systemctl --user reset-failed` for the loaded units
	// matching the patterns (a unit name matches itself) that are inactive
	// or failed: it clears their
	// failed state and their start rate limit (by default systemd refuses a
	// sixth start within 10 s, which fast coven swaps reach).
	ResetFailed(ctx context.Context, patterns ...string) error
	// Close releases the connection.
	Close() error
}

// Resident reports whether systemd keeps u loaded on its own (it is loaded
// and not inactive: active, failed, starting or stopping), so that reading
// it costs no load.
func Resident(u Unit) bool { return u.LoadState == "loaded" && u.ActiveState != "inactive" }

// Job results systemd reports when a job finishes.
const (
	ResultDone       = "done"
	ResultCanceled   = "canceled"
	ResultTimeout    = "timeout"
	ResultFailed     = "failed"
	ResultDependency = "dependency"
	ResultSkipped    = "skipped"
	// ResultRestarted is lychd's, not systemd's: the service's start
	// failed or timed out and its Restart= setting restarted it while its
	// start job stayed queued; lychd stopped waiting for it.
	ResultRestarted = "restarted"
)

// Job is one job of a start or stop transaction.
type Job struct {
	// ID is systemd's job id.
	ID uint32
	// Unit is the unit the job acts on.
	Unit string
	// Type is "start", "stop", ... ("" when systemd finished the job before
	// its type could be read and the unit's state did not tell).
	Type string
	// Result is "" while the job is queued or running, then one of the
	// Result constants.
	Result string
	// Requested is true for the jobs the caller asked for, false for jobs
	// the transaction pulled in (e.g. stops of conflicting units).
	Requested bool
}

// Done reports whether the job finished successfully.
func (j Job) Done() bool { return j.Result == ResultDone }

// Unit is a unit's state as `lychd status` shows it.
type Unit struct {
	Name        string
	Description string
	// LoadState is "loaded", "not-found", "masked", "error", ...
	LoadState string
	// ActiveState is "active", "inactive", "activating", "deactivating",
	// "failed", ...
	ActiveState string
	// SubState is the type-specific state: "running", "dead", "exited", ...
	SubState string
	// ActiveEnterTimestamp is when the unit last became active; zero when
	// never.
	ActiveEnterTimestamp time.Time
	// InactiveEnterTimestamp is when the unit last became inactive; zero
	// when never.
	InactiveEnterTimestamp time.Time
	// Result is a service's result of its last run: "success", "timeout",
	// "exit-code", ... ("" for other units or when not read).
	Result string
	// TimeoutStart is a service's start timeout (TimeoutStartSec=); zero
	// when not read or infinite.
	TimeoutStart time.Duration
	// NeedDaemonReload is true when the unit file (or a generator's input)
	// changed since the last daemon-reload.
	NeedDaemonReload bool
	// FragmentPath is the unit file systemd loaded.
	FragmentPath string
	// SourcePath is the file a generator made the unit from (a Quadlet
	// .container or .pod file).
	SourcePath string
	// Conflicts, ConsistsOf, Wants, Requires, BindsTo and PartOf are the
	// unit's dependencies (full unit names). ConsistsOf lists the units that
	// are PartOf this one.
	Conflicts  []string
	ConsistsOf []string
	Wants      []string
	Requires   []string
	BindsTo    []string
	PartOf     []string
	// PublishedPorts are the --publish values of a service's podman
	// commands (Quadlet puts a pod's PublishPort= there).
	PublishedPorts []string
	// HealthCheck is true for a service whose podman run carries a health
	// check (--health-cmd, from Quadlet's HealthCmd=).
	HealthCheck bool
}
