package plugintest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// BuildBinary builds the extension's main package in pkgDir with go build
// into t.TempDir() and returns the binary's path.
//
// Linking is the slow part of building an extension, so BuildBinary keeps
// built binaries in a cache under the user cache directory, keyed by a hash
// of everything that goes into the build: the Go version and platform, and
// for every package linked in either its module version (for downloaded
// modules, which are immutable) or the content of its source files (for the
// extension's own module and replaced modules). Set LYCHD_PLUGINTEST_NOCACHE=1
// to always build. The cache keeps the 16 most recently used binaries.
func BuildBinary(t testing.TB, pkgDir string) string {
	t.Helper()
	abs, err := filepath.Abs(pkgDir)
	if err != nil {
		t.Fatalf("plugintest.BuildBinary: %v", err)
	}
	name := filepath.Base(abs)
	out := filepath.Join(t.TempDir(), name)

	cacheDir := ""
	if os.Getenv("LYCHD_PLUGINTEST_NOCACHE") == "" {
		if key, err := buildKey(abs); err == nil {
			if base, err := os.UserCacheDir(); err == nil {
				cacheDir = filepath.Join(base, "lychd", "plugintest", key)
				if copyFile(filepath.Join(cacheDir, name), out) == nil {
					now := time.Now()
					_ = os.Chtimes(cacheDir, now, now) // most recently used
					return out
				}
			}
		} else {
			t.Logf("plugintest.BuildBinary: not caching: %v", err)
		}
	}

	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", out, ".")
	cmd.Dir = abs
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("plugintest.BuildBinary: go build in %s: %v\n%s", abs, err, stderr.String())
	}
	if cacheDir != "" {
		// A failed cache write only costs a rebuild next time.
		if err := os.MkdirAll(cacheDir, 0o755); err == nil {
			tmp := filepath.Join(cacheDir, name+".tmp"+fmt.Sprint(os.Getpid()))
			if copyFile(out, tmp) == nil {
				_ = os.Rename(tmp, filepath.Join(cacheDir, name))
			}
			_ = os.Remove(tmp)
			pruneCache(filepath.Dir(cacheDir), maxCachedBinaries)
		}
	}
	return out
}

// maxCachedBinaries bounds the cache (an extension binary is about 19 MB).
const maxCachedBinaries = 16

// pruneCache removes all but the keep most recently used entries of dir.
func pruneCache(dir string, keep int) {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) <= keep {
		return
	}
	type entry struct {
		path string
		used time.Time
	}
	var all []entry
	for _, e := range entries {
		if info, err := e.Info(); err == nil && e.IsDir() {
			all = append(all, entry{filepath.Join(dir, e.Name()), info.ModTime()})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].used.After(all[j].used) })
	for _, e := range all[min(keep, len(all)):] {
		_ = os.RemoveAll(e.path)
	}
}

// listedPackage is the part of `go list -json` output buildKey needs.
type listedPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles    []string
	CgoFiles   []string
	EmbedFiles []string
	Module     *struct {
		Path    string
		Version string
		Replace *struct{ Path, Version string }
		GoMod   string
	}
}

// buildKey hashes what goes into building the package in dir.
func buildKey(dir string) (string, error) {
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Dir,Standard,GoFiles,CgoFiles,EmbedFiles,Module", ".")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go list in %s: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s %s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, os.Getenv("GOFLAGS"))
	env := exec.Command("go", "env", "GOVERSION", "CGO_ENABLED", "GOAMD64", "GOEXPERIMENT", "GOWORK")
	envOut, err := env.Output()
	if err != nil {
		return "", fmt.Errorf("go env: %v", err)
	}
	h.Write(envOut)
	dec := json.NewDecoder(&stdout)
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			return "", fmt.Errorf("decoding go list output: %v", err)
		}
		if p.Standard {
			continue
		}
		fmt.Fprintf(h, "pkg %s\n", p.ImportPath)
		if m := p.Module; m != nil && m.Replace == nil && m.Version != "" {
			fmt.Fprintf(h, "module %s@%s\n", m.Path, m.Version)
			continue
		}
		if p.Module != nil && p.Module.GoMod != "" {
			if err := hashFile(h, p.Module.GoMod); err != nil {
				return "", err
			}
		}
		for _, files := range [][]string{p.GoFiles, p.CgoFiles, p.EmbedFiles} {
			for _, f := range files {
				if err := hashFile(h, filepath.Join(p.Dir, f)); err != nil {
					return "", err
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

func hashFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	fmt.Fprintf(h, "file %s\n", path)
	_, err = io.Copy(h, f)
	return err
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}
