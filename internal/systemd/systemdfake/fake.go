// Package systemdfake is an in-memory systemd.Manager for command tests.
package systemdfake

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/lychd/lychd/internal/systemd"
)

// Manager is a scripted systemd.Manager. The zero value has no units and
// finishes every requested job with "done".
type Manager struct {
	// Units is what ListUnits filters.
	Units []systemd.Unit
	// Transactions scripts Start and Stop: the key is the verb and the units
	// joined by spaces ("start a.service b.target"), the value every job of
	// the transaction with its final result, in the order they are reported
	// queued and then finished.
	Transactions map[string][]systemd.Job
	// Err, when set, is returned by every method.
	Err error
	// ReadErr, when set, is returned by ReadUnit.
	ReadErr error
	// Interrupt plays a start or stop interrupted while waiting (Ctrl-C):
	// scripted jobs without a Result are still running, and the call
	// returns context.Canceled.
	Interrupt bool
	// LoadedAt is what LastLoad returns.
	LoadedAt time.Time
	// Calls records each call ("reload", "start a.service", "list lychd-*").
	Calls []string
}

var _ systemd.Manager = (*Manager)(nil)

// Reload records the call.
func (m *Manager) Reload(context.Context) error {
	m.Calls = append(m.Calls, "reload")
	return m.Err
}

// Start plays the scripted transaction.
func (m *Manager) Start(_ context.Context, units []string, progress func(systemd.Job)) ([]systemd.Job, error) {
	return m.run("start", units, progress)
}

// Enqueue records the call ("enqueue a.service") and returns the jobs of
// the scripted start transaction (or one per unit) as queued: without
// their results.
func (m *Manager) Enqueue(_ context.Context, units []string) ([]systemd.Job, error) {
	m.Calls = append(m.Calls, "enqueue "+strings.Join(units, " "))
	if m.Err != nil {
		return nil, m.Err
	}
	jobs, ok := m.Transactions["start "+strings.Join(units, " ")]
	if !ok {
		for i, u := range units {
			jobs = append(jobs, systemd.Job{ID: uint32(i + 1), Unit: u, Type: "start", Requested: true})
		}
	}
	out := make([]systemd.Job, len(jobs))
	for i, j := range jobs {
		j.Result = ""
		out[i] = j
	}
	return out, nil
}

// Stop plays the scripted transaction.
func (m *Manager) Stop(_ context.Context, units []string, progress func(systemd.Job)) ([]systemd.Job, error) {
	return m.run("stop", units, progress)
}

func (m *Manager) run(verb string, units []string, progress func(systemd.Job)) ([]systemd.Job, error) {
	key := verb + " " + strings.Join(units, " ")
	m.Calls = append(m.Calls, key)
	if m.Err != nil {
		return nil, m.Err
	}
	jobs, ok := m.Transactions[key]
	if !ok {
		for i, u := range units {
			jobs = append(jobs, systemd.Job{ID: uint32(i + 1), Unit: u, Type: verb, Result: systemd.ResultDone, Requested: true})
		}
	}
	if progress != nil {
		for _, j := range jobs {
			q := j
			q.Result = ""
			progress(q)
		}
		for _, j := range jobs {
			if j.Result != "" {
				progress(j)
			}
		}
	}
	if m.Interrupt {
		return jobs, fmt.Errorf("waiting for %s jobs: %w", verb, context.Canceled)
	}
	return jobs, nil
}

// ListUnits returns the units whose names match a pattern; like the real
// manager's, only the systemd.Resident ones carry more than their states.
func (m *Manager) ListUnits(_ context.Context, known []string, patterns ...string) ([]systemd.Unit, error) {
	m.Calls = append(m.Calls, "list "+strings.Join(patterns, " "))
	if m.Err != nil {
		return nil, m.Err
	}
	var out []systemd.Unit
	for _, u := range m.match(known, patterns) {
		if !systemd.Resident(u) {
			u = states(u)
		}
		out = append(out, u)
	}
	return out, nil
}

func states(u systemd.Unit) systemd.Unit {
	return systemd.Unit{Name: u.Name, Description: u.Description, LoadState: u.LoadState, ActiveState: u.ActiveState, SubState: u.SubState}
}

// match returns the units matching a pattern plus the known ones, sorted by
// name; a known name the fake has no unit for is "not-found", as systemd
// reports it. (The fake has no notion of loading: every unit matches.)
func (m *Manager) match(known, patterns []string) []systemd.Unit {
	var out []systemd.Unit
	seen := map[string]bool{}
	for _, u := range m.Units {
		for _, p := range patterns {
			if ok, _ := path.Match(p, u.Name); ok {
				out = append(out, u)
				seen[u.Name] = true
				break
			}
		}
	}
	for _, n := range known {
		if seen[n] {
			continue
		}
		seen[n] = true
		u := systemd.Unit{Name: n, LoadState: "not-found", ActiveState: "inactive", SubState: "dead"}
		for _, have := range m.Units {
			if have.Name == n {
				u = have
			}
		}
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ListUnitStates returns the matching units with only their states, as
// the real manager does.
func (m *Manager) ListUnitStates(ctx context.Context, known []string, patterns ...string) ([]systemd.Unit, error) {
	m.Calls = append(m.Calls, "list-states "+strings.Join(patterns, " "))
	if m.Err != nil {
		return nil, m.Err
	}
	var out []systemd.Unit
	for _, u := range m.match(known, patterns) {
		out = append(out, states(u))
	}
	return out, nil
}

// ReadUnit returns the unit called name; an unknown name is "not-found",
// as systemd reports it.
func (m *Manager) ReadUnit(_ context.Context, name string) (systemd.Unit, error) {
	m.Calls = append(m.Calls, "read "+name)
	if m.Err != nil {
		return systemd.Unit{}, m.Err
	}
	if m.ReadErr != nil {
		return systemd.Unit{}, m.ReadErr
	}
	for _, u := range m.Units {
		if u.Name == name {
			return u, nil
		}
	}
	return systemd.Unit{Name: name, LoadState: "not-found", ActiveState: "inactive", SubState: "dead"}, nil
}

// LastLoad returns LoadedAt.
func (m *Manager) LastLoad(context.Context) (time.Time, error) {
	m.Calls = append(m.Calls, "last-load")
	return m.LoadedAt, m.Err
}

// ResetFailed records the call.
func (m *Manager) ResetFailed(_ context.Context, patterns ...string) error {
	m.Calls = append(m.Calls, "reset-failed "+strings.Join(patterns, " "))
	return m.Err
}

// Close does nothing.
func (m *Manager) Close() error { return nil }
