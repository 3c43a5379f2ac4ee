// Package doctor implements `lychd doctor [--json]`: whether this machine
// can run the Sepulcher, one line per check with the fix of each problem,
// and a non-zero exit when a check fails (see package internal/doctor for
// the checks).
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"tags.cncf.io/container-device-interface/pkg/cdi"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/doctor"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
)

// SchemaVersion is the version of the --json output. Fields are only ever
// added within a version.
const SchemaVersion = 1

// Options are the inputs of `lychd doctor`.
type Options struct {
	IO   cmdutil.IOStreams
	JSON bool
	// Paths locates the Codex, the extensions and the bound generation.
	Paths func() (paths.Paths, error)
	// Assimilate runs the core and the extensions, for the manifest the
	// next bind would bind when nothing is bound or a bind is pending.
	Assimilate func(ctx context.Context, cx *codex.Codex) (*host.Result, error)
	// Host probes the machine.
	Host doctor.Host
	// User is the user lychd runs as.
	User func() (doctor.User, error)
	// CDISpecDirs are the directories Podman reads CDI specs from.
	CDISpecDirs []string
}

// Report is the --json output.
type Report struct {
	SchemaVersion int `json:"schema_version"`
	// OK is false when any check failed.
	OK bool `json:"ok"`
	// Results are in the order of the checks.
	Results []doctor.Result `json:"results"`
}

// NewCmd returns the doctor command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{
		IO: f.IO, Paths: f.Paths, Assimilate: f.Assimilate,
		Host:        doctor.System{RuntimeDir: f.Getenv("XDG_RUNTIME_DIR")},
		User:        currentUser,
		CDISpecDirs: cdi.DefaultSpecDirs,
	}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that this machine can run the Sepulcher, and say how to fix what it lacks",
		Long: `Check that this machine can run the Sepulcher: Podman and its Quadlet
generator new enough for the units lychd writes, cgroups v2, the systemd
user manager, lingering, subordinate user and group ids, and, for the
manifest (the bound one, or the one the next bind would bind), a CDI spec
for every CDI device, free host ports, the images and the Podman secrets.
It also checks that the Codex loads and says when a bind is pending.

Each check prints one line: ok, warn (something to know, e.g. an image
that is pulled on first start) or FAIL with the fix. lychd doctor exits
with status 1 when a check fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, fmt.Sprintf("print a JSON report (schema version %d)", SchemaVersion))
	return cmd
}

// currentUser is the user running lychd.
func currentUser() (doctor.User, error) {
	u, err := user.Current()
	if err != nil {
		return doctor.User{}, fmt.Errorf("who is running lychd: %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return doctor.User{}, fmt.Errorf("who is running lychd: uid %q: %w", u.Uid, err)
	}
	return doctor.User{Name: u.Username, UID: uid}, nil
}

// Run checks the machine and prints the results; the error is
// cmdutil.ErrSilent when a check failed.
func Run(ctx context.Context, opts *Options) error {
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	u, err := opts.User()
	if err != nil {
		return err
	}
	env := &doctor.Env{
		Host: opts.Host, User: u, Home: p.Home, CodexDir: p.CodexDir(), CDISpecDirs: opts.CDISpecDirs,
		Secrets: doctor.ManifestSecrets,
	}
	cx, cerr := codex.Load(p.CodexDir())
	env.CodexErr = cerr
	rec, err := bound.Read(p.CurrentGeneration())
	switch {
	case errors.Is(err, bound.ErrNotBound):
	case err != nil:
		env.BoundErr = err
	default:
		b := &doctor.Bound{Generation: "the bound generation"}
		if target, err := os.Readlink(p.CurrentGeneration()); err == nil {
			b.Generation = filepath.Base(target)
		}
		codexChanged, extensions, err := rec.Changed(p.CodexDir(), p.ExtensionsDir())
		if err != nil {
			return fmt.Errorf("doctor: %w", err)
		}
		if codexChanged {
			b.Changed = append(b.Changed, "the Codex")
		}
		if len(extensions) > 0 {
			b.Changed = append(b.Changed, "extension "+strings.Join(extensions, ", "))
		}
		env.Bound = b
	}
	manifest(ctx, opts, env, cx, rec)
	results := doctor.Run(ctx, env, doctor.Checks())
	if err := write(opts, results); err != nil {
		return err
	}
	if doctor.Failed(results) {
		return cmdutil.ErrSilent
	}
	return nil
}

// manifest sets the manifest whose needs are checked: the bound one when
// nothing changed since, else the one the next bind would bind (the Codex
// and what the core and the extensions register), else the bound one.
func manifest(ctx context.Context, opts *Options, env *doctor.Env, cx *codex.Codex, rec *bound.Record) {
	if rec != nil && env.Bound != nil && len(env.Bound.Changed) == 0 {
		env.Manifest, env.ManifestFrom = &rec.Manifest, "the manifest of "+env.Bound.Generation
		return
	}
	if env.CodexErr == nil {
		res, err := opts.Assimilate(ctx, cx)
		if err == nil {
			m := cx.Manifest()
			m.Runes = append(append([]model.Rune(nil), res.Runes...), m.Runes...)
			m.Animators = append(append([]model.Animator(nil), res.Animators...), m.Animators...)
			env.Manifest, env.ManifestFrom = &m, "the manifest the next bind would bind"
			return
		}
		env.ManifestErr = fmt.Errorf("the core and the extensions could not be assimilated: %w", err)
	} else {
		env.ManifestErr = errors.New("the Codex does not load")
	}
	if rec != nil {
		env.Manifest, env.ManifestFrom, env.ManifestErr = &rec.Manifest, "the manifest of "+env.Bound.Generation, nil
		return
	}
	if env.ManifestErr != nil && env.BoundErr == nil {
		env.ManifestErr = fmt.Errorf("%w, and nothing is bound", env.ManifestErr)
	}
}

func write(opts *Options, results []doctor.Result) error {
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(Report{SchemaVersion: SchemaVersion, OK: !doctor.Failed(results), Results: results})
	}
	return WriteText(opts.IO.Out, results)
}

// WriteText prints one line per result, then how many failed.
func WriteText(w io.Writer, results []doctor.Result) error {
	var warns, fails int
	for _, r := range results {
		mark := "ok  "
		switch r.Status {
		case doctor.StatusWarn:
			mark = "warn"
			warns++
		case doctor.StatusFail:
			mark = "FAIL"
			fails++
		}
		line := fmt.Sprintf("%s %s: %s", mark, r.Check, r.Message)
		if r.Fix != "" {
			line += "; fix: " + r.Fix
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	var summary string
	switch {
	case fails > 0:
		summary = fmt.Sprintf("%s, %s: this machine cannot run the Sepulcher until they are fixed", plural(fails, "problem"), plural(warns, "warning"))
	case warns > 0:
		summary = fmt.Sprintf("no problems, %s", plural(warns, "warning"))
	default:
		summary = "no problems"
	}
	_, err := fmt.Fprintf(w, "\n%s\n", summary)
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
