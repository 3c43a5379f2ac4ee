package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// Package paths of the binaries the benchmarks build.
const (
	LychdPackage      = "github.com/lychd/lychd/cmd/lychd"
	MinExtPackage     = "github.com/lychd/lychd/internal/bench/testdata/minext"
	BarePluginPackage = "github.com/lychd/lychd/internal/bench/testdata/bareplugin"
)

// Build runs `go build -o out [-ldflags LDFLAGS] pkg` in the module at root
// (no other flags: the way a user builds) and fails with go's output.
func Build(root, pkg, out, ldflags string) error {
	args := []string{"build", "-o", out}
	if ldflags != "" {
		args = append(args, "-ldflags", ldflags)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s in %s: %w\n%s", pkg, root, err, stderr.String())
	}
	return nil
}

// BuildMinExts builds the benchmark extension once per name (its name is
// linked in with -X), into dir/NAME, two builds at a time, and returns the
// paths in the order of names.
func BuildMinExts(root, dir string, names []string) ([]string, error) {
	out := make([]string, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, n := range names {
		out[i] = filepath.Join(dir, n)
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = Build(root, MinExtPackage, out[i], "-X main.name="+n)
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// Copies copies the file src to dir/NAME for every name and returns the
// paths, in the order of names.
func Copies(src, dir string, names []string) ([]string, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("copying %s: %w", src, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("copying %s: %w", src, err)
	}
	var out []string
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, data, 0o755); err != nil {
			return nil, fmt.Errorf("copying %s to %s: %w", src, p, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// Names returns n names prefix00, prefix01, ... (two digits at least, so
// that they sort like the numbers).
func Names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i)
	}
	return out
}
