// Package importcmd implements `lychd portal import`: the Animators of
// another lychd host (its `lychd animators --json`) become portals of this
// one, written as one file of the Codex (portals/NAME.toml), so that this
// host's Dispatcher can route to the other host's models.
package importcmd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/sdk/validate"
)

// Options are the inputs of `lychd portal import`.
type Options struct {
	IO    cmdutil.IOStreams
	Paths func() (paths.Paths, error)
	// Source is the file holding the other host's `lychd animators
	// --json`, or "-" for stdin.
	Source string
	// URL is where this host reaches the other host's Dispatcher.
	URL string
	// Prefix starts every imported portal's name; empty derives it from
	// the URL's host name.
	Prefix string
	// DryRun prints the file instead of writing it.
	DryRun bool
}

// NewCmd returns the import command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths}
	cmd := &cobra.Command{
		Use:   "import FILE|- --url URL [--prefix NAME-]",
		Short: "Turn another lychd host's Animators into portals of this one",
		Long: `Read the output of "lychd animators --json" on another lychd host (FILE, or
stdin with -) and write its soulstone Animators as portals into this host's
Codex, in portals/PREFIX.toml: each keeps its capabilities and tags, and its
url is URL, where this host reaches the other host's Dispatcher (its Vessel,
e.g. http://gpu-b:7134/v1). Then "lychd bind" makes them Animators here.

The other host's own portals are not imported (import them from where they
are). Importing again replaces the file when it is as lychd wrote it; a file
you edited is left alone, and the import says so.`,
		Args: cmdutil.ExactArgs(1, "import takes one argument: the file holding the other host's `lychd animators --json`, or - for stdin"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Source = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.URL, "url", "", "where this host reaches the other host's Dispatcher, e.g. http://gpu-b:7134/v1 (required)")
	cmd.Flags().StringVar(&opts.Prefix, "prefix", "", "start of every imported portal's name (default: the URL's host name and a dash)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the portals file instead of writing it")
	return cmd
}

// animator is the part of an `lychd animators --json` entry the import
// reads.
type animator struct {
	Name         string   `json:"name"`
	Kind         string   `json:"kind"`
	Capabilities []string `json:"capabilities"`
	Tags         []string `json:"tags"`
}

// header starts every file the import writes; digestLine follows it.
const (
	header     = "# Written by lychd portal import: the Animators of another lychd host as portals.\n# Import again to update it; lychd leaves the file alone once you edit it.\n"
	digestLine = "# lychd-digest: "
)

// Run imports the portals.
func Run(_ context.Context, opts *Options) error {
	u, err := url.Parse(opts.URL)
	if opts.URL == "" {
		return cmdutil.FlagErrorf("--url is required: where this host reaches the other host's Dispatcher, e.g. --url http://gpu-b:7134/v1")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cmdutil.FlagErrorf("--url %q: give an absolute http or https URL, e.g. --url http://gpu-b:7134/v1", opts.URL)
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = namePart(u.Hostname()) + "-"
	}
	if err := validate.Name(prefix + "x"); err != nil {
		return cmdutil.FlagErrorf("--prefix %q: portal names start with it, and %v", prefix, err)
	}
	var in []byte
	if opts.Source == "-" {
		in, err = io.ReadAll(io.LimitReader(opts.IO.In, codex.MaxFileSize+1))
	} else {
		in, err = readLimited(opts.Source)
	}
	if err != nil {
		return fmt.Errorf("portal import: %w", err)
	}
	var list []animator
	dec := json.NewDecoder(bytes.NewReader(in))
	if err := dec.Decode(&list); err != nil {
		return fmt.Errorf("portal import: %s is not the output of `lychd animators --json` (%v); on the other host run: lychd animators --json > animators.json", opts.Source, err)
	}
	var b strings.Builder
	imported, skipped := 0, 0
	for _, a := range list {
		if a.Kind != "soulstone" {
			skipped++
			continue
		}
		name := prefix + a.Name
		if err := validate.Name(name); err != nil {
			return fmt.Errorf("portal import: Animator %q would become portal %q: %v; choose a shorter --prefix", a.Name, name, err)
		}
		fmt.Fprintf(&b, "\n[%s]\nurl = %s\ndescription = %s\n", name, strconv.Quote(opts.URL), strconv.Quote("Animator "+a.Name+" of the lychd host at "+u.Host))
		if len(a.Capabilities) > 0 {
			fmt.Fprintf(&b, "capabilities = %s\n", tomlList(a.Capabilities))
		}
		if len(a.Tags) > 0 {
			fmt.Fprintf(&b, "tags = %s\n", tomlList(a.Tags))
		}
		imported++
	}
	if imported == 0 {
		return fmt.Errorf("portal import: %s holds no soulstone Animator to import", opts.Source)
	}
	body := b.String()
	data := []byte(header + digestLine + digest(body) + "\n" + body)
	if opts.DryRun {
		_, err := opts.IO.Out.Write(data)
		return err
	}
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	target := filepath.Join(p.CodexDir(), codex.PortalsDir, strings.TrimSuffix(prefix, "-")+".toml")
	if err := checkOurs(target); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return fmt.Errorf("portal import: %w", err)
	}
	if err := os.WriteFile(target, data, 0o644); err != nil {
		return fmt.Errorf("portal import: %w", err)
	}
	fmt.Fprintf(opts.IO.Out, "Imported %s as %s into %s", count(imported, "Animator", "Animators"), plural(imported, "a portal", "portals"), target)
	if skipped > 0 {
		fmt.Fprintf(opts.IO.Out, " (%s of the other host left out)", count(skipped, "portal", "portals"))
	}
	fmt.Fprintf(opts.IO.Out, ".\nRun \"lychd bind\" to make %s of this host.\n", plural(imported, "it an Animator", "them Animators"))
	return nil
}

// checkOurs refuses to replace a file the import did not write as it is.
func checkOurs(path string) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("portal import: %w", err)
	}
	rest, ok := bytes.CutPrefix(old, []byte(header+digestLine))
	if ok {
		sum, body, found := bytes.Cut(rest, []byte("\n"))
		if found && string(sum) == digest(string(body)) {
			return nil
		}
	}
	return fmt.Errorf("portal import: %s exists and lychd did not write it as it is now (edited, or your own); move it away or choose another --prefix, then import again", path)
}

// readLimited reads a regular file of at most codex.MaxFileSize bytes.
func readLimited(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > codex.MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, codex.MaxFileSize)
	}
	return os.ReadFile(path)
}

// namePart turns a host name into the start of a portal name: lower-case
// letters, digits and single dashes, starting with a letter.
func namePart(host string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(host) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9' && b.Len() > 0:
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "remote"
	}
	return s
}

func tomlList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func count(n int, one, many string) string { return fmt.Sprintf("%d %s", n, plural(n, one, many)) }
