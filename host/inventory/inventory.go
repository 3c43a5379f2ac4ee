// Package inventory reads what is installed in the extensions directory:
// the lock file is the source of truth, and everything else found there is
// reported and never executed. It links no plugin machinery, so the light
// lychd command can read it without paying for go-plugin's start-up.
package inventory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/lychd/lychd/host/failure"
	"github.com/lychd/lychd/host/lockfile"
	"github.com/lychd/lychd/sdk/validate"
)

// BinaryPrefix starts the file name of every installed extension binary:
// DIR/NAME/lychd-ext-NAME.
const BinaryPrefix = "lychd-ext-"

// BinaryPath returns where the binary of extension name is installed in
// dir. It refuses names that are not valid extension names, and so can
// never point outside dir.
func BinaryPath(dir, name string) (string, error) {
	if err := validate.Name(name); err != nil {
		return "", fmt.Errorf("invalid extension name: %w", err)
	}
	p := filepath.Join(dir, name, BinaryPrefix+name)
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
		return "", fmt.Errorf("extension %q would be installed outside %s", name, dir)
	}
	return p, nil
}

// Extension is one extension listed in the lock file.
type Extension struct {
	Name  string
	Path  string
	Entry lockfile.Entry
	// Problem is set when the lock lists the extension but its binary is
	// missing or unusable; it says how to fix it.
	Problem string
}

// Ignored is something in the extensions directory that is not an
// installed extension.
type Ignored struct {
	Path   string
	Reason string
}

// Inventory is what Discover found.
type Inventory struct {
	// Extensions are sorted by name.
	Extensions []Extension
	// Ignored are sorted by path.
	Ignored []Ignored
}

// Listed returns the extensions the lock file in dir lists, sorted by
// name, each with its Problem set; unlike Discover it does not look at
// anything else in dir.
func Listed(dir string) ([]Extension, error) {
	lock, err := lockfile.Read(dir)
	if err != nil {
		return nil, err
	}
	return listed(dir, lock), nil
}

func listed(dir string, lock *lockfile.Lock) []Extension {
	var out []Extension
	for name, e := range lock.Extensions {
		in := Extension{Name: name, Entry: e}
		p, err := BinaryPath(dir, name)
		if err != nil {
			in.Problem = fmt.Sprintf("the lock file lists an invalid name (%v); remove it with: lychd extension remove %s", err, name)
			out = append(out, in)
			continue
		}
		in.Path = p
		in.Problem = checkBinary(p, e)
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Discover reads the lock file and the extensions directory dir. The lock
// is the source of truth: an extension is installed when the lock lists it.
// Everything else in dir (checksum files, editor backups, leftovers of an
// interrupted install, directories without a lock entry, non-executables)
// is reported as ignored and never executed.
func Discover(dir string) (*Inventory, error) {
	lock, err := lockfile.Read(dir)
	if err != nil {
		return nil, err
	}
	inv := &Inventory{Extensions: listed(dir, lock)}

	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return inv, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read extensions directory: %w", err)
	}
	ignore := func(p, why string) { inv.Ignored = append(inv.Ignored, Ignored{Path: p, Reason: why}) }
	for _, de := range entries {
		name := de.Name()
		p := filepath.Join(dir, name)
		switch {
		case lockfile.IsOwnFile(name):
			continue
		case strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-"):
			ignore(p, "leftover of an interrupted install or lock update; safe to delete")
			continue
		case !de.IsDir():
			ignore(p, "not an extension directory")
			continue
		}
		if _, ok := lock.Extensions[name]; !ok {
			ignore(p, "not in "+lockfile.FileName+"; install the extension with: lychd extension install PATH")
			continue
		}
		files, err := os.ReadDir(p)
		if err != nil {
			ignore(p, fmt.Sprintf("unreadable: %v", err))
			continue
		}
		for _, f := range files {
			if f.Name() == BinaryPrefix+name {
				continue
			}
			ignore(filepath.Join(p, f.Name()), "not the extension's binary ("+BinaryPrefix+name+")")
		}
	}
	sort.Slice(inv.Ignored, func(i, j int) bool { return inv.Ignored[i].Path < inv.Ignored[j].Path })
	return inv, nil
}

// checkBinary says what is wrong with the installed binary p of entry e,
// or "": missing, unusable, or changed since it was installed.
func checkBinary(p string, e lockfile.Entry) string {
	fix := "reinstall it with: lychd extension install " + failure.InstallSource(e.Source)
	st, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "its binary " + p + " is missing; " + fix
	case err != nil:
		return fmt.Sprintf("cannot stat its binary: %v; %s", err, fix)
	case !st.Mode().IsRegular():
		return "its binary " + p + " is not a regular file; " + fix
	case st.Mode().Perm()&0o111 == 0:
		return "its binary " + p + " is not executable; " + fix
	case st.Mode().Perm()&0o022 != 0:
		return fmt.Sprintf("its binary %s is group- or world-writable (mode %04o); run: chmod go-w %s", p, st.Mode().Perm(), p)
	case e.SHA256 == "":
		return ""
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Sprintf("cannot open its binary: %v; %s", err, fix)
	}
	defer f.Close()
	same, got, err := lockfile.Same(f, e.SHA256, e.Identity)
	switch {
	case err != nil:
		return fmt.Sprintf("cannot read its binary: %v; %s", err, fix)
	case !same:
		return failure.ChangedBinary(p, got, e.SHA256, e.Source)
	}
	return ""
}
