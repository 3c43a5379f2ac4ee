// Package kube implements `lychd export kube`: Kubernetes manifests for the
// bound Sepulcher (package internal/kube), read from the bound record, on
// stdout or as one file per object in a directory.
package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/cmdutil"
	kubeexport "github.com/lychd/lychd/internal/kube"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/sdk/validate"
)

// Options are the inputs of `lychd export kube`.
type Options struct {
	IO    cmdutil.IOStreams
	Paths func() (paths.Paths, error)
	// Output is "-" (stdout) or a directory.
	Output string
	// Export are the options of the export itself.
	Export kubeexport.Options
	// VolumeSizes are "SIZE" or "NAME=SIZE" flags; DeviceResources
	// "CDI=RESOURCE" flags.
	VolumeSizes, DeviceResources []string
}

// NewCmd returns the `export kube` command. runF replaces the action in
// tests.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Paths: f.Paths, Output: "-"}
	cmd := &cobra.Command{
		Use:   "kube [--coven NAME]... [-o DIR|-] [--scale COVEN]",
		Short: "Write Kubernetes manifests for the bound soulstones",
		Long: `Write Kubernetes objects for the bound Sepulcher: per soulstone a Deployment
(replicas 0: applying it starts nothing) and a Service on its port; named
volumes as PersistentVolumeClaims; GPU devices as device-plugin resource
limits; covens as coven.lychd.io/NAME labels. Objects go to stdout as one YAML
stream (-o -) or one file each into a directory (-o DIR).

On a cluster, exclusivity is the scheduler's business through GPU limits: two
hostile soulstones can land on different nodes and both run. --scale COVEN
prints the kubectl commands that stop what is hostile to COVEN and start it;
with --write-replicas the counts are written into the Deployments instead.

The core runes (Vessel with its migrate one-shot, Phylactery, Oculus) are left
out unless --core.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.Export.Covens, "coven", nil, "export only the soulstones of this coven (repeatable)")
	fl.StringVarP(&opts.Output, "output", "o", "-", "write to stdout (-) or one file per object into this directory")
	fl.BoolVar(&opts.Export.AllowHostPaths, "allow-host-paths", false, "turn host-path volumes into hostPath volumes instead of refusing them")
	fl.BoolVar(&opts.Export.IncludeCore, "core", false, "export the core runes (Vessel, Phylactery, Oculus) too, as Deployments with 1 replica")
	fl.StringVar(&opts.Export.Home, "home", "", "the home directory %h stands for on the cluster's nodes (with --core --allow-host-paths)")
	fl.StringVar(&opts.Export.Namespace, "namespace", "", "namespace written into every object")
	fl.StringVar(&opts.Export.StorageClass, "storage-class", "", "storage class of the PersistentVolumeClaims (default: the cluster's)")
	fl.StringVar(&opts.Export.AccessMode, "access-mode", "", "access mode of the PersistentVolumeClaims: ReadWriteOnce (default), ReadWriteOncePod or ReadWriteMany")
	fl.StringArrayVar(&opts.VolumeSizes, "volume-size", nil, "storage each claim requests, SIZE for all or NAME=SIZE for one Podman volume (repeatable)")
	fl.StringArrayVar(&opts.DeviceResources, "device-resource", nil, "map a CDI kind or name to the cluster's device-plugin resource, CDI=RESOURCE (repeatable)")
	fl.IntVar(&opts.Export.AllDevices, "all-devices", 0, "GPUs requested for a CDI device named \"all\" (default 1)")
	fl.StringVar(&opts.Export.Scale, "scale", "", "print the kubectl scale commands that run this coven (stopping what is hostile to it first)")
	fl.BoolVar(&opts.Export.WriteReplicas, "write-replicas", false, "with --scale, write the replica counts into the Deployments and print the objects")
	return cmd
}

// Run exports the bound Sepulcher.
func Run(_ context.Context, opts *Options) error {
	if opts.Export.WriteReplicas && opts.Export.Scale == "" {
		return cmdutil.FlagErrorf("--write-replicas needs --scale COVEN")
	}
	for _, v := range opts.VolumeSizes {
		name, size, ok := strings.Cut(v, "=")
		if !ok {
			opts.Export.VolumeSize = v
			continue
		}
		if opts.Export.VolumeSizes == nil {
			opts.Export.VolumeSizes = map[string]string{}
		}
		opts.Export.VolumeSizes[name] = size
	}
	for _, v := range opts.DeviceResources {
		cdi, res, ok := strings.Cut(v, "=")
		// A CDI name holds a '=' itself: the resource follows the last one.
		if i := strings.LastIndex(v, "="); ok && i > len(cdi) {
			cdi, res = v[:i], v[i+1:]
		}
		if !ok || cdi == "" || res == "" {
			return cmdutil.FlagErrorf("--device-resource %q: write CDI=RESOURCE, e.g. --device-resource intel.com/gpu=gpu.intel.com/xe", v)
		}
		if opts.Export.DeviceResources == nil {
			opts.Export.DeviceResources = map[string]string{}
		}
		opts.Export.DeviceResources[cdi] = res
	}
	p, err := opts.Paths()
	if err != nil {
		return err
	}
	rec, _, err := bound.Load(p.CurrentGeneration())
	if err != nil {
		return err
	}
	if opts.Export.Secrets == nil {
		opts.Export.Secrets = boundSecrets(&rec.Manifest)
	}
	res, err := kubeexport.Export(&rec.Manifest, opts.Export)
	if err != nil {
		return fmt.Errorf("export kube: nothing was written:\n%w", err)
	}
	// Every bind has core runes and leaves them out without --core (the
	// help says so); naming them on every export would only be noise.
	core := map[string]bool{}
	for _, r := range rec.Manifest.Runes {
		core[r.Name] = r.Source.Kind == model.SourceCore
	}
	for _, s := range res.Skipped {
		if core[s.Rune] && !opts.Export.IncludeCore {
			continue
		}
		fmt.Fprintf(opts.IO.ErrOut, "lychd: not exported: %s: %s\n", s.Rune, s.Reason)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(opts.IO.ErrOut, "lychd: note: %s\n", n)
	}
	if opts.Export.Scale != "" && !opts.Export.WriteReplicas {
		for _, c := range res.ScaleCommands() {
			fmt.Fprintln(opts.IO.Out, c)
		}
		return nil
	}
	if opts.Output == "-" {
		data, err := kubeexport.Stream(res.Objects)
		if err != nil {
			return err
		}
		_, err = opts.IO.Out.Write(data)
		return err
	}
	files, err := kubeexport.Files(res.Objects)
	if err != nil {
		return err
	}
	return writeFiles(opts, files)
}

// writeFiles writes each file into the output directory. A file that is
// already there with other content is not lychd's to replace: the export
// refuses before writing anything.
func writeFiles(opts *Options, files map[string][]byte) error {
	dir := opts.Output
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export kube: %w", err)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	var clash []string
	for _, n := range names {
		old, err := os.ReadFile(filepath.Join(dir, n))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("export kube: %w", err)
		case !bytes.Equal(old, files[n]):
			clash = append(clash, filepath.Join(dir, n))
		}
	}
	if len(clash) > 0 {
		return fmt.Errorf("export kube: nothing was written: %s already %s other content; remove %s or export into another directory",
			strings.Join(clash, ", "), plural(len(clash), "holds", "hold"), plural(len(clash), "it", "them"))
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), files[n], 0o644); err != nil {
			return fmt.Errorf("export kube: %w", err)
		}
	}
	fmt.Fprintf(opts.IO.ErrOut, "Wrote %s into %s.\n", count(len(names), "file"), dir)
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func count(n int, what string) string { return strconv.Itoa(n) + " " + what + plural(n, "", "s") }

// boundSecrets are the Podman secrets the bound units give a rune beyond
// its own (which the export reads from the manifest): for the core's
// Vessel, every portal's, as lychd bind writes them.
func boundSecrets(m *model.Manifest) map[string][]kubeexport.SecretRef {
	out := map[string][]kubeexport.SecretRef{}
	ref := func(s model.Secret) kubeexport.SecretRef {
		return kubeexport.SecretRef{Name: s.Name, Type: kubeexport.SecretType(s.Type), Target: s.Target}
	}
	for _, r := range m.Runes {
		if r.Kind != model.KindCore || r.Name != validate.CoreVessel {
			continue
		}
		seen := map[model.Secret]bool{}
		for _, s := range r.Secrets {
			seen[s] = true
		}
		for _, a := range m.Animators {
			for _, s := range a.Secrets {
				if !seen[s] {
					seen[s] = true
					out[r.Name] = append(out[r.Name], ref(s))
				}
			}
		}
	}
	return out
}
