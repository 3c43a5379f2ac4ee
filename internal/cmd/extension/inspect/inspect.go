// Package inspect implements `lychd extension inspect NAME [--json]`: an
// installed extension's lock entry, and the runes and Animators it
// registers, found by verifying, launching and assimilating it.
package inspect

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
)

// SchemaVersion is the version of the --json output.
const SchemaVersion = 1

// Options are the inputs of `lychd extension inspect`.
type Options struct {
	IO    cmdutil.IOStreams
	Paths func() (paths.Paths, error)
	Name  string
	JSON  bool
	// Config replaces the extension's [extensions.NAME] table of lychd.toml
	// with this JSON object ("" keeps the table).
	Config string
	// StartTimeout and Deadline bound the launch and the assimilation when
	// the Codex cannot be loaded; otherwise its [assimilation] settings
	// apply.
	StartTimeout, Deadline time.Duration
}

// Report is the --json output.
type Report struct {
	SchemaVersion int              `json:"schema_version"`
	Name          string           `json:"name"`
	Version       string           `json:"version"`
	Description   string           `json:"description"`
	Protocol      int              `json:"protocol"`
	SHA256        string           `json:"sha256"`
	Size          int64            `json:"size"`
	Installed     time.Time        `json:"installed"`
	Source        string           `json:"source"`
	Path          string           `json:"path"`
	Runes         []model.Rune     `json:"runes"`
	Animators     []model.Animator `json:"animators"`
}

// NewCmd returns the inspect command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, StartTimeout: codex.DefaultStartTimeout, Deadline: codex.DefaultDeadline}
	cmd := &cobra.Command{
		Use:   "inspect NAME",
		Short: "Show an installed extension and the runes and Animators it registers",
		Long: "Verify the extension's binary against extensions.lock.json, launch it and assimilate it\n" +
			"on its own with its [extensions.NAME] table from lychd.toml (or --config), then print its\n" +
			"lock entry and everything it registered.",
		Args: cmdutil.ExactArgs(1, "inspect takes exactly one argument, the extension's name (see lychd extension list)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, fmt.Sprintf("print a JSON report (schema version %d)", SchemaVersion))
	cmd.Flags().StringVar(&opts.Config, "config", "", "use this JSON object as the extension's config table instead of the one in lychd.toml")
	return cmd
}

// Run inspects the extension.
func Run(ctx context.Context, opts *Options) error {
	if ctx == nil {
		ctx = context.Background()
	}
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	inv, err := host.Discover(p.ExtensionsDir())
	if err != nil {
		return err
	}
	var found *host.Extension
	for i := range inv.Extensions {
		if inv.Extensions[i].Name == opts.Name {
			found = &inv.Extensions[i]
		}
	}
	if found == nil {
		return fmt.Errorf("extension %q is not installed; see the installed ones with: lychd extension list", opts.Name)
	}
	// The extension gets its table from lychd.toml, as in lychd bind,
	// unless --config replaces it.
	config := map[string]json.RawMessage{}
	start, deadline := opts.StartTimeout, opts.Deadline
	if cx, err := codex.Load(p.CodexDir()); err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: the Codex could not be loaded, so the extension gets no config table from lychd.toml:\n%v\n", err)
	} else {
		if raw, ok := cx.Extensions[opts.Name]; ok {
			config[opts.Name] = raw
		}
		start, deadline = cx.Assimilation.StartTimeout, cx.Assimilation.Deadline
	}
	if opts.Config != "" {
		if !json.Valid([]byte(opts.Config)) {
			return cmdutil.FlagErrorf("--config is not valid JSON; give the config table as a JSON object, e.g. --config '{\"model\": \"x\"}'")
		}
		config[opts.Name] = json.RawMessage(opts.Config)
	}
	res, err := host.Assimilate(ctx, host.Options{
		ExtensionsDir: p.ExtensionsDir(),
		ProcessDir:    p.ProcessDir(),
		NoCache:       true,
		Config:        config,
		StartTimeout:  start,
		Deadline:      deadline,
		Only:          []string{opts.Name},
	})
	if err != nil {
		return err
	}
	e := found.Entry
	rep := Report{
		SchemaVersion: SchemaVersion, Name: found.Name, Version: e.Version, Description: e.Description,
		Protocol: e.Protocol, SHA256: e.SHA256, Size: e.Size, Installed: e.Installed, Source: e.Source, Path: found.Path,
		Runes: res.Runes, Animators: res.Animators,
	}
	if rep.Runes == nil {
		rep.Runes = []model.Rune{}
	}
	if rep.Animators == nil {
		rep.Animators = []model.Animator{}
	}
	if len(res.Extensions) == 1 {
		rep.Version = res.Extensions[0].Version
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	out := opts.IO.Out
	fmt.Fprintf(out, "Extension:   %s %s\n", rep.Name, rep.Version)
	if rep.Description != "" {
		fmt.Fprintf(out, "Description: %s\n", rep.Description)
	}
	fmt.Fprintf(out, "Protocol:    %d\nSHA256:      %s\nSize:        %d bytes\nInstalled:   %s from %s\nBinary:      %s\n",
		rep.Protocol, rep.SHA256, rep.Size, rep.Installed.UTC().Format(time.RFC3339), rep.Source, rep.Path)
	fmt.Fprintf(out, "Runes (%d):\n", len(rep.Runes))
	for _, r := range rep.Runes {
		fmt.Fprintf(out, "  %s  %s  image %s%s\n", r.Name, r.Kind, r.Image, runeExtras(r))
	}
	fmt.Fprintf(out, "Animators (%d):\n", len(rep.Animators))
	for _, a := range rep.Animators {
		served := "rune " + a.Rune
		if a.Kind == model.AnimatorPortal {
			served = a.URL
		}
		fmt.Fprintf(out, "  %s  %s  %s%s\n", a.Name, a.Kind, served, animatorExtras(a))
	}
	return nil
}

func runeExtras(r model.Rune) string {
	var parts []string
	if len(r.Groups) > 0 {
		parts = append(parts, "covens "+strings.Join(r.Groups, ","))
	}
	if r.Port != 0 {
		p := fmt.Sprintf("port %d", r.Port)
		if r.ExposePort {
			p += " (exposed)"
		}
		parts = append(parts, p)
	}
	if len(r.Devices) > 0 {
		parts = append(parts, "devices "+strings.Join(r.Devices, ","))
	}
	if len(parts) == 0 {
		return ""
	}
	return "  " + strings.Join(parts, "  ")
}

func animatorExtras(a model.Animator) string {
	var parts []string
	if len(a.Capabilities) > 0 {
		parts = append(parts, "capabilities "+strings.Join(a.Capabilities, ","))
	}
	if len(a.Tags) > 0 {
		parts = append(parts, "tags "+strings.Join(a.Tags, ","))
	}
	if len(parts) == 0 {
		return ""
	}
	return "  " + strings.Join(parts, "  ")
}
