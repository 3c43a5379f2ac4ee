// Package inspect implements `lychd extension inspect NAME [--json]
// [--logs]`: an installed extension's lock entry, and the runes and
// Animators it registers, found by verifying, launching and assimilating
// it, with what it wrote while it ran.
package inspect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/sdk/preset"
)

// SchemaVersion is the version of the --json output.
const SchemaVersion = 2

// Options are the inputs of `lychd extension inspect`.
type Options struct {
	IO    cmdutil.IOStreams
	Paths func() (paths.Paths, error)
	Name  string
	JSON  bool
	// Logs adds what the extension wrote while it ran (its log lines,
	// stderr and stdout), also when its assimilation fails.
	Logs bool
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
	SchemaVersion int        `json:"schema_version"`
	Name          string     `json:"name"`
	Version       string     `json:"version"`
	Description   string     `json:"description"`
	Protocol      int        `json:"protocol"`
	SHA256        string     `json:"sha256"`
	Size          int64      `json:"size"`
	Installed     time.Time  `json:"installed"`
	Source        string     `json:"source"`
	Path          string     `json:"path"`
	Runes         []Rune     `json:"runes"`
	Animators     []Animator `json:"animators"`
	// Presets are the engine presets it registers, in registration order.
	Presets []Preset `json:"presets,omitempty"`
	// Log is what the extension wrote during this launch (--logs only).
	Log *host.Log `json:"log,omitempty"`
}

// Rune is one registered rune, in the words of the SDK and the Codex.
type Rune struct {
	Name string `json:"name"`
	// Kind is "soulstone" or "always-on".
	Kind string `json:"kind"`
	// Unit is the systemd service lychd writes for it.
	Unit        string   `json:"unit"`
	Description string   `json:"description,omitempty"`
	Image       string   `json:"image"`
	Groups      []string `json:"groups,omitempty"`
	After       []string `json:"after,omitempty"`
	Wants       []string `json:"wants,omitempty"`
	Requires    []string `json:"requires,omitempty"`
	Port        int      `json:"port,omitempty"`
	ExposePort  bool     `json:"expose_port,omitempty"`
	HostPort    int      `json:"host_port,omitempty"`
	Devices     []string `json:"devices,omitempty"`
	Volumes     []string `json:"volumes,omitempty"`
	// Environment is in name order.
	Environment []model.EnvVar `json:"environment,omitempty"`
	Exec        []string       `json:"exec,omitempty"`
	// StartTimeoutSeconds is 0 for systemd's default.
	StartTimeoutSeconds int64 `json:"start_timeout_seconds,omitempty"`
}

// Animator is one registered Animator.
type Animator struct {
	Name string `json:"name"`
	// Kind is "soulstone" or "portal".
	Kind         string   `json:"kind"`
	Rune         string   `json:"rune,omitempty"`
	URL          string   `json:"url,omitempty"`
	Capabilities []string `json:"capabilities"`
	Tags         []string `json:"tags"`
}

// Preset is one registered engine preset, as a soulstone names it with
// engine = "NAME".
type Preset struct {
	Name   string        `json:"name"`
	Preset preset.Preset `json:"preset"`
}

// NewCmd returns the inspect command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, StartTimeout: codex.DefaultStartTimeout, Deadline: codex.DefaultDeadline}
	cmd := &cobra.Command{
		Use:   "inspect NAME",
		Short: "Show an installed extension and the runes and Animators it registers",
		Long: "Verify the extension's binary against extensions.lock.json, launch it and assimilate it\n" +
			"on its own with its [extensions.NAME] table from lychd.toml (or --config), then print its\n" +
			"lock entry and everything it registered. --logs adds what it wrote while it ran (its log\n" +
			"lines, stderr and stdout), also when the assimilation fails.",
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
	cmd.Flags().BoolVar(&opts.Logs, "logs", false, "also print what the extension wrote while it ran (log lines, stderr, stdout)")
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
		LogDir:        p.ExtensionLogDir(),
		NoCache:       true,
		Config:        config,
		StartTimeout:  start,
		Deadline:      deadline,
		Only:          []string{opts.Name},
	})
	var log *host.Log
	if opts.Logs {
		if log, _ = host.ReadLog(p.ExtensionLogDir(), opts.Name); log == nil {
			log = &host.Log{Extension: opts.Name}
		}
	}
	if err != nil {
		if log != nil {
			printLog(opts.IO.ErrOut, log)
		}
		return err
	}
	e := found.Entry
	rep := Report{
		SchemaVersion: SchemaVersion, Name: found.Name, Version: e.Version, Description: e.Description,
		Protocol: e.Protocol, SHA256: e.SHA256, Size: e.Size, Installed: e.Installed, Source: e.Source, Path: found.Path,
		Runes: []Rune{}, Animators: []Animator{}, Log: log,
	}
	for _, r := range res.Runes {
		rep.Runes = append(rep.Runes, runeOf(r))
	}
	for _, a := range res.Animators {
		rep.Animators = append(rep.Animators, animatorOf(a))
	}
	for _, p := range res.Presets {
		rep.Presets = append(rep.Presets, Preset{Name: p.Name, Preset: p.Preset})
	}
	if len(res.Extensions) == 1 {
		rep.Version = res.Extensions[0].Version
	}
	if opts.JSON {
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printReport(opts.IO.Out, &rep)
	return nil
}

// runeOf is r as the report shows it.
func runeOf(r model.Rune) Rune {
	kind := "soulstone"
	if r.Kind != model.KindSoulstone {
		kind = "always-on"
	}
	return Rune{
		Name: r.Name, Kind: kind, Unit: r.ServiceName(), Description: r.Description, Image: r.Image,
		Groups: r.Groups, After: r.After, Wants: r.Wants, Requires: r.Requires,
		Port: r.Port, ExposePort: r.ExposePort, HostPort: r.HostPort,
		Devices: r.Devices, Volumes: r.Volumes, Environment: r.Environment, Exec: r.Exec,
		StartTimeoutSeconds: int64(r.StartTimeout / time.Second),
	}
}

// animatorOf is a as the report shows it.
func animatorOf(a model.Animator) Animator {
	out := Animator{Name: a.Name, Kind: string(a.Kind), Capabilities: a.Capabilities, Tags: a.Tags}
	if a.Kind == model.AnimatorPortal {
		out.URL = a.URL
	} else {
		out.Rune = a.Rune
	}
	if out.Capabilities == nil {
		out.Capabilities = []string{}
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	return out
}

// printReport writes the report for a person: the lock entry, one aligned
// row per rune (name, kind, image) followed by its other fields, one
// aligned row per Animator, and the log with --logs.
func printReport(out io.Writer, rep *Report) {
	fmt.Fprintf(out, "Extension:   %s %s\n", rep.Name, rep.Version)
	if rep.Description != "" {
		fmt.Fprintf(out, "Description: %s\n", rep.Description)
	}
	fmt.Fprintf(out, "Protocol:    %d\nSHA256:      %s\nSize:        %d bytes\nInstalled:   %s from %s\nBinary:      %s\n",
		rep.Protocol, rep.SHA256, rep.Size, rep.Installed.UTC().Format(time.RFC3339), rep.Source, rep.Path)

	fmt.Fprintf(out, "Runes (%d):\n", len(rep.Runes))
	nameW, kindW := 0, 0
	for _, r := range rep.Runes {
		nameW, kindW = max(nameW, len(r.Name)), max(kindW, len(r.Kind))
	}
	for _, r := range rep.Runes {
		fmt.Fprintf(out, "  %-*s  %-*s  %s\n", nameW, r.Name, kindW, r.Kind, r.Image)
		for _, f := range runeFields(r) {
			for i, v := range f.values {
				key := f.key
				if i > 0 {
					key = ""
				}
				fmt.Fprintf(out, "      %-14s %s\n", key, v)
			}
		}
	}

	fmt.Fprintf(out, "Animators (%d):\n", len(rep.Animators))
	rows := make([][]string, len(rep.Animators))
	widths := make([]int, 3)
	for i, a := range rep.Animators {
		served := "rune " + a.Rune
		if a.Kind == string(model.AnimatorPortal) {
			served = a.URL
		}
		rows[i] = []string{a.Name, a.Kind, served}
		for j, c := range rows[i] {
			widths[j] = max(widths[j], len(c))
		}
	}
	for i, a := range rep.Animators {
		line := fmt.Sprintf("  %-*s  %-*s  %-*s", widths[0], rows[i][0], widths[1], rows[i][1], widths[2], rows[i][2])
		if len(a.Capabilities) > 0 {
			line += "  capabilities " + strings.Join(a.Capabilities, ",")
		}
		if len(a.Tags) > 0 {
			line += "  tags " + strings.Join(a.Tags, ",")
		}
		fmt.Fprintln(out, strings.TrimRight(line, " "))
	}
	if len(rep.Presets) > 0 {
		fmt.Fprintf(out, "Engine presets (%d):\n", len(rep.Presets))
		w := 0
		for _, p := range rep.Presets {
			w = max(w, len(p.Name))
		}
		for _, p := range rep.Presets {
			line := fmt.Sprintf("  %-*s  %s", w, p.Name, p.Preset.Image)
			if p.Preset.Description != "" {
				line += "  " + p.Preset.Description
			}
			fmt.Fprintln(out, line)
		}
	}
	if rep.Log != nil {
		printLog(out, rep.Log)
	}
}

// field is one detail line (or several, for a list) of a rune.
type field struct {
	key    string
	values []string
}

// runeFields lists a rune's fields beyond its name, kind and image, each
// set one once, in the order of the Codex's keys.
func runeFields(r Rune) []field {
	var fs []field
	add := func(key string, values ...string) {
		if len(values) > 0 {
			fs = append(fs, field{key, values})
		}
	}
	add("unit", r.Unit)
	if r.Description != "" {
		add("description", r.Description)
	}
	switch {
	case r.Kind == "always-on":
	case len(r.Groups) == 0:
		add("covens", r.Name+" (a coven of one)")
	default:
		add("covens", strings.Join(r.Groups, ", "))
	}
	add("after", r.After...)
	add("wants", r.Wants...)
	add("requires", r.Requires...)
	if r.Port != 0 {
		port := strconv.Itoa(r.Port)
		if r.ExposePort {
			host := r.HostPort
			if host == 0 {
				host = r.Port
			}
			port += fmt.Sprintf(" (published on host port %d)", host)
		}
		add("port", port)
	}
	add("devices", r.Devices...)
	add("volumes", r.Volumes...)
	var env []string
	for _, e := range r.Environment {
		env = append(env, e.Name+"="+quoteIfNeeded(e.Value))
	}
	add("environment", env...)
	if len(r.Exec) > 0 {
		args := make([]string, len(r.Exec))
		for i, a := range r.Exec {
			args[i] = quoteIfNeeded(a)
		}
		add("exec", strings.Join(args, " "))
	}
	if r.StartTimeoutSeconds != 0 {
		add("start timeout", (time.Duration(r.StartTimeoutSeconds) * time.Second).String())
	}
	return fs
}

// quoteIfNeeded quotes a value that is empty or holds a space, a quote or
// a backslash, so that where it ends is clear.
func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"'\\") {
		return strconv.Quote(s)
	}
	return s
}

// printLog writes what the extension wrote during the launch.
func printLog(w io.Writer, l *host.Log) {
	if len(l.Lines) == 0 {
		fmt.Fprintln(w, "Log: it wrote nothing")
		return
	}
	lines := "lines"
	if len(l.Lines) == 1 {
		lines = "line"
	}
	fmt.Fprintf(w, "Log (%d %s):\n%s", len(l.Lines), lines, l.Render("  "))
}
