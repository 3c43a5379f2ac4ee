package bound

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// CodexDigest is the hex sha256 of the Codex under dir: every file a
// Codex is made of (lychd.toml, soulstones/*.toml, portals/*.toml), by
// path and content. A missing Codex has the digest of no files.
func CodexDigest(dir string) (string, error) {
	files := []string{"lychd.toml"}
	for _, sub := range []string{"soulstones", "portals"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("digest of the Codex: %w", err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".toml") {
				files = append(files, sub+"/"+e.Name())
			}
		}
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("digest of the Codex: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
