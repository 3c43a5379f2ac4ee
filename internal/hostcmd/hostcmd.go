// Package hostcmd is the self-contained lychd command, as lychd-host and as
// a plain `go build ./cmd/lychd` build it: the lychd command tree with the
// plugin host linked in, so that it assimilates in process and runs the
// real extension commands, plus the hidden `assimilate` command that the
// light lychd runs when its registration cache misses (package hostproc).
package hostcmd

import (
	"context"
	"errors"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/host/assimilation"
	"github.com/lychd/lychd/host/launch"
	"github.com/lychd/lychd/host/spawn"
	"github.com/lychd/lychd/internal/cmd/extension"
	"github.com/lychd/lychd/internal/cmd/factory"
	"github.com/lychd/lychd/internal/cmd/root"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/hostproc"
	"github.com/lychd/lychd/internal/sepulcher"
	"github.com/lychd/lychd/plugins/core"
)

// NewFactory returns the Factory of the self-contained command: the same
// cache check as the light lychd (package factory), under the cache
// fingerprint of this installation's pair of binaries, so that lychd and
// lychd-host share the registration cache, and on a miss the assimilation
// in this process.
func NewFactory() *cmdutil.Factory {
	f := cmdutil.NewFactory()
	f.Assimilate = factory.Assimilator(f, hostproc.Here, func(ctx context.Context, _ hostproc.Binaries, req hostproc.Request) (*assimilation.Result, error) {
		if err := sepulcher.BeforeLaunch(ctx); err != nil {
			return nil, err
		}
		return Assimilate(ctx, f, req)
	})
	return f
}

// NewCmdRoot returns lychd-host's command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := root.NewCmdRoot(f, extension.NewCmd(f))
	cmd.AddCommand(NewCmdAssimilate(f), newCmdSpawn())
	return cmd
}

// newCmdSpawn returns the hidden command that serves as the fork server
// of an assimilation (package spawn), on descriptor 3.
func newCmdSpawn() *cobra.Command {
	return &cobra.Command{
		Use:    spawn.Command,
		Short:  "Start extension processes for an assimilation (run by lychd itself)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return spawn.ServeFD(3, launch.SysProcAttr)
		},
	}
}

// NewCmdAssimilate returns the hidden command that serves one
// hostproc.Request from stdin with a hostproc.Response on stdout.
func NewCmdAssimilate(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:    hostproc.AssimilateCommand,
		Short:  "Assimilate the core and the installed extensions for lychd (reads a JSON request on stdin)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			err := hostproc.Serve(cmd.Context(), f.IO.In, f.IO.Out, func(ctx context.Context, req hostproc.Request) (*assimilation.Result, error) {
				return Assimilate(ctx, f, req)
			})
			if errors.Is(err, hostproc.ErrFailed) {
				// The response on stdout says why; exit 1 without
				// repeating it on stderr, which lychd shows.
				return cmdutil.ErrSilent
			}
			return err
		},
	}
}

// Assimilate runs the in-process core and every installed extension as req
// says. Extension log lines go to stderr at the level in $LYCHD_LOG
// (default warn).
func Assimilate(ctx context.Context, f *cmdutil.Factory, req hostproc.Request) (*assimilation.Result, error) {
	if req.ExtensionsDir == "" {
		return nil, errors.New("the assimilation request names no extensions directory")
	}
	level := hclog.LevelFromString(f.Getenv("LYCHD_LOG"))
	if level == hclog.NoLevel {
		level = hclog.Warn
	}
	var spawner string
	if exe, err := os.Executable(); err == nil {
		spawner = exe
	}
	return host.Assimilate(ctx, host.Options{
		SpawnerExe:    spawner,
		ExtensionsDir: req.ExtensionsDir,
		CacheDir:      req.CacheDir,
		NoCache:       req.NoCache,
		HostID:        req.HostID,
		Core:          core.New(),
		Config:        req.Config,
		StartTimeout:  req.StartTimeout,
		Deadline:      req.Deadline,
		Parallel:      req.Parallel,
		Logger:        hclog.New(&hclog.LoggerOptions{Name: "lychd", Level: level, Output: errOut(f)}),
	})
}

func errOut(f *cmdutil.Factory) *os.File {
	if w, ok := f.IO.ErrOut.(*os.File); ok {
		return w
	}
	return os.Stderr
}
