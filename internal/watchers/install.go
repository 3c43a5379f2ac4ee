package watchers

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lychd/lychd/internal/durable"
)

// Install puts files into dir, the Watchers' directory of the Crypt, as
// Plan decides against the Record kept in dir: it creates the directories
// the files need, replaces each file to write atomically, removes the files
// lychd wrote and no longer generates (when unchanged), keeps every file
// the user changed or lychd did not write, and then stores the new Record.
// It returns the decisions it carried out. A crash part-way leaves each
// file whole, and the next Install finishes: a file already holding the
// new content is unchanged, whatever the Record says.
//
// lychd bind calls Install with the Grafana files of Generate; lychd init
// may call it as well, to set the dashboards up before the first bind.
func Install(dir string, files []File) ([]Decision, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("watchers: create %s: %w", dir, err)
	}
	root := os.DirFS(dir)
	rec, err := ReadRecord(root)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, dir)
	}
	decisions, next, err := Plan(root, files, rec)
	if err != nil {
		return nil, err
	}
	changed := false
	for _, d := range decisions {
		path := filepath.Join(dir, filepath.FromSlash(d.Name))
		switch d.Action {
		case Write:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return nil, fmt.Errorf("watchers: create %s: %w", filepath.Dir(path), err)
			}
			if err := durable.WriteFile(path, d.Data, 0o644); err != nil {
				return nil, fmt.Errorf("watchers: %w", err)
			}
			changed = true
		case Remove:
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("watchers: remove %s: %w", path, err)
			}
			if err := durable.SyncDir(filepath.Dir(path)); err != nil {
				return nil, fmt.Errorf("watchers: %w", err)
			}
			changed = true
		}
	}
	old := rec.Marshal()
	if data := next.Marshal(); changed || string(data) != string(old) {
		if err := durable.WriteFile(filepath.Join(dir, RecordFile), data, 0o644); err != nil {
			return nil, fmt.Errorf("watchers: %w", err)
		}
	}
	return decisions, nil
}

// GrafanaFiles returns the files of out that Install puts into the Crypt:
// all but PrometheusFile, which belongs to the bound generation.
func GrafanaFiles(out Output) []File {
	var files []File
	for _, f := range out.Files {
		if f.Name != PrometheusFile {
			files = append(files, f)
		}
	}
	return files
}

// InstallDefault installs into dir the Grafana files of a Sepulcher with
// no soulstone yet (the provisioned datasource and every dashboard), for
// lychd init; the next lychd bind installs them for the Codex, keeping
// what the user edited meanwhile.
func InstallDefault(dir string) ([]Decision, error) {
	out, err := Generate(Config{})
	if err != nil {
		return nil, err
	}
	return Install(dir, GrafanaFiles(out))
}
