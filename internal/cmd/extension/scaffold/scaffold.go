// Package scaffold implements `lychd extension new NAME [DIR]`: write a
// ready Go module for a new extension, with a soulstone, an Animator, a
// config table with defaults, contract tests using sdk/plugintest, a
// README, and a copy of the lychd SDK it builds against.
package scaffold

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/spf13/cobra"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/sdksource"
	"github.com/lychd/lychd/sdk"
	"github.com/lychd/lychd/sdk/validate"
)

// SDKDir is the directory of a new module that holds its copy of the SDK.
const SDKDir = "lychd-sdk"

// Defaults of the generated extension's config table.
const (
	DefaultImage = "docker.io/library/busybox:1.36"
	DefaultPort  = 8081
)

// Options are the inputs of `lychd extension new`.
type Options struct {
	IO cmdutil.IOStreams
	// Name is the extension's name.
	Name string
	// Dir is where the module is written; "" means ./NAME.
	Dir string
	// Module is the module path; "" means Name.
	Module string
}

// NewCmd returns the new command. runF replaces the action in tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "new NAME [DIR]",
		Short: "Write a new extension: a Go module with a soulstone, an Animator and its tests",
		Long: "Write a Go module for a new extension named NAME into DIR (default ./NAME): main.go\n" +
			"(one soulstone, one Animator, a config table with defaults), main_test.go (contract\n" +
			"tests with sdk/plugintest), a README, and go.mod with go.sum. The lychd SDK is not on a\n" +
			"module proxy yet, so the copy this lychd was built with is written into DIR/" + SDKDir + "\n" +
			"and go.mod points at it with a replace directive. The module builds and passes its\n" +
			"tests as written: cd DIR && go test ./... && go build.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return cmdutil.FlagErrorf("new takes the extension's name and, optionally, the directory to write it into")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if len(args) == 2 {
				opts.Dir = args[1]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Module, "module", "", "the module path of the new module (default NAME)")
	return cmd
}

//go:embed template
var templates embed.FS

// data fills the templates.
type data struct {
	Name, Module, Binary  string
	Image                 string
	Port                  int
	SDKModule, SDKVersion string
	SDKDir                string
}

// Run writes the module.
func Run(_ context.Context, opts *Options) error {
	if err := validate.Name(opts.Name); err != nil {
		return cmdutil.FlagErrorf("the extension's name is invalid: %v", err)
	}
	if opts.Name == sdk.ReservedName {
		return cmdutil.FlagErrorf("the name %q is reserved for lychd's built-in extension; pick another", opts.Name)
	}
	mod := opts.Module
	if mod == "" {
		mod = opts.Name
	}
	if err := module.CheckImportPath(mod); err != nil {
		return cmdutil.FlagErrorf("--module %q is not a valid module path: %v", mod, err)
	}
	dir := opts.Dir
	if dir == "" {
		dir = opts.Name
	}
	files, err := Files(opts.Name, mod)
	if err != nil {
		return err
	}
	if err := write(dir, files); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "Created extension %s in %s: module %s, with the lychd SDK v%s in %s\n",
		opts.Name, dir, mod, sdk.Version, filepath.Join(dir, SDKDir))
	fmt.Fprintf(opts.IO.Out, "Next:\n  cd %s\n  go test ./...\n  go build\n  lychd extension install ./%s\n", dir, binaryName(mod))
	return nil
}

// File is one file of a new module.
type File struct {
	// Name is the path relative to the module root, with forward slashes.
	Name string
	Data []byte
}

// Files returns every file of the new module for extension name with
// module path mod, the SDK copy under SDKDir included, sorted by name.
func Files(name, mod string) ([]File, error) {
	d := data{
		Name: name, Module: mod, Binary: binaryName(mod),
		Image: DefaultImage, Port: DefaultPort,
		SDKModule: sdksource.ModulePath, SDKVersion: "v" + sdk.Version, SDKDir: SDKDir,
	}
	var out []File
	for _, t := range []struct{ tmpl, name string }{
		{"main.go.tmpl", "main.go"},
		{"main_test.go.tmpl", "main_test.go"},
		{"README.md.tmpl", "README.md"},
		{"gitignore.tmpl", ".gitignore"},
	} {
		text, err := fs.ReadFile(templates, "template/"+t.tmpl)
		if err != nil {
			return nil, err
		}
		tm, err := template.New(t.tmpl).Option("missingkey=error").Parse(string(text))
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := tm.Execute(&b, d); err != nil {
			return nil, err
		}
		out = append(out, File{Name: t.name, Data: b.Bytes()})
	}
	gomod, err := goMod(mod)
	if err != nil {
		return nil, err
	}
	gosum, ok := sdksource.File("go.sum")
	if !ok {
		return nil, errors.New("the SDK copy in this lychd has no go.sum")
	}
	out = append(out, File{Name: "go.mod", Data: gomod}, File{Name: "go.sum", Data: gosum})
	for _, f := range sdksource.Files() {
		out = append(out, File{Name: SDKDir + "/" + f.Name, Data: f.Data})
	}
	return out, nil
}

// goMod is the new module's go.mod: the SDK's go version, the SDK as a
// requirement with every module it requires as indirect requirements (so
// that go.sum, the SDK's own, is complete without go mod tidy), and the
// replace directive that points at the copy.
func goMod(mod string) ([]byte, error) {
	sdkMod, err := sdksource.GoMod()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "module %s\n\ngo %s\n\nrequire %s v%s\n", mod, sdkMod.Go.Version, sdksource.ModulePath, sdk.Version)
	if len(sdkMod.Require) > 0 {
		reqs := append([]*modfile.Require(nil), sdkMod.Require...)
		sort.Slice(reqs, func(i, j int) bool { return reqs[i].Mod.Path < reqs[j].Mod.Path })
		b.WriteString("\nrequire (\n")
		for _, r := range reqs {
			fmt.Fprintf(&b, "\t%s %s // indirect\n", r.Mod.Path, r.Mod.Version)
		}
		b.WriteString(")\n")
	}
	fmt.Fprintf(&b, "\n// The lychd SDK is not on a module proxy yet: lychd extension new wrote the\n"+
		"// copy it was built with into %s/ (see README.md).\nreplace %s => ./%s\n", SDKDir, sdksource.ModulePath, SDKDir)
	return b.Bytes(), nil
}

// binaryName is what go build names the binary of module mod.
func binaryName(mod string) string {
	base := mod[strings.LastIndex(mod, "/")+1:]
	if prefix, _, ok := module.SplitPathVersion(mod); ok && prefix != mod {
		// example.com/x/v2 builds x.
		base = prefix[strings.LastIndex(prefix, "/")+1:]
	}
	return base
}

// write writes files into dir. A missing dir is written as a whole: into a
// temporary directory beside it, renamed into place at the end, so that a
// failure leaves nothing behind. An existing dir must be empty.
func write(dir string, files []File) error {
	target := dir
	entries, err := os.ReadDir(dir)
	switch {
	case err == nil && len(entries) > 0:
		return fmt.Errorf("%s already exists and is not empty; give a new directory: lychd extension new NAME DIR", dir)
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(filepath.Clean(dir))
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return err
		}
		tmp, err := os.MkdirTemp(parent, ".lychd-new-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		target = tmp
	default:
		return fmt.Errorf("cannot use %s: %w", dir, err)
	}
	for _, f := range files {
		p := filepath.Join(target, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	if target != dir {
		if err := os.Chmod(target, 0o755); err != nil {
			return err
		}
		if err := os.Rename(target, dir); err != nil {
			return fmt.Errorf("moving the new module into %s: %w", dir, err)
		}
	}
	return nil
}
