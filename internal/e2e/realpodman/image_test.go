package realpodman

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"testing"
)

// readTar returns a tar's regular files and symlinks (as "-> target").
func readTar(t *testing.T, b []byte) map[string]string {
	t.Helper()
	files := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		switch h.Typeflag {
		case tar.TypeReg:
			c, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[h.Name] = string(c)
		case tar.TypeSymlink:
			files[h.Name] = "-> " + h.Linkname
		}
	}
}

func TestWriteImageArchive(t *testing.T) {
	var a, again bytes.Buffer
	if err := WriteImageArchive(&a, []byte("BUSYBOX")); err != nil {
		t.Fatal(err)
	}
	if err := WriteImageArchive(&again, []byte("BUSYBOX")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), again.Bytes()) {
		t.Error("two archives of the same busybox differ")
	}
	files := readTar(t, a.Bytes())
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal([]byte(files["manifest.json"]), &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	var tags []string
	for _, m := range manifest {
		tags = append(tags, m.RepoTags...)
		if len(m.Layers) != 1 || m.Layers[0] != manifest[0].Layers[0] {
			t.Errorf("%v: layers %v, want the one shared layer %v", m.RepoTags, m.Layers, manifest[0].Layers)
		}
		var cfg struct {
			Config struct {
				User       string
				Env        []string
				Entrypoint []string
			} `json:"config"`
		}
		if err := json.Unmarshal([]byte(files[m.Config]), &cfg); err != nil {
			t.Fatalf("%s: %v", m.Config, err)
		}
		if want := append([]string{"PATH=/bin"}, imageTags[m.RepoTags[0]]...); !slices.Equal(cfg.Config.Env, want) {
			t.Errorf("%v: env %v, want %v", m.RepoTags, cfg.Config.Env, want)
		}
		if cfg.Config.User != imageUsers[m.RepoTags[0]] {
			t.Errorf("%v: user %q, want %q", m.RepoTags, cfg.Config.User, imageUsers[m.RepoTags[0]])
		}
		if !slices.Equal(cfg.Config.Entrypoint, []string{"/bin/sh", "/entry.sh"}) {
			t.Errorf("%v: entrypoint %v", m.RepoTags, cfg.Config.Entrypoint)
		}
	}
	slices.Sort(tags)
	if want := []string{GrafanaImage, HarvesterImage, Image, OculusImage, PhylacteryImage, VesselImage, VesselOwnUserImage}; !slices.Equal(tags, want) {
		t.Errorf("tags = %v, want %v", tags, want)
	}
	layer := readTar(t, []byte(files[manifest[0].Layers[0]]))
	if layer["bin/busybox"] != "BUSYBOX" || layer["entry.sh"] != string(entrySh) || layer["bin/sh"] != "-> busybox" || layer["bin/wget"] != "-> busybox" {
		t.Errorf("layer files: busybox %q, entry.sh %d bytes, sh %q, wget %q", layer["bin/busybox"], len(layer["entry.sh"]), layer["bin/sh"], layer["bin/wget"])
	}
}
