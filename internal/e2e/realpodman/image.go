package realpodman

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"time"
)

// The test image. Every tag shares one layer (a static busybox and
// testimage/entry.sh); the tags differ only in their environment, so that
// lychd's core runes, whose units set no environment of their own, still
// get a name and a port each.
const (
	// ImageRepo is the repository of every tag of the test image.
	ImageRepo = "localhost/lychd-test"
	// Image is the plain tag: httpd on 8081, no stop delay. Soulstones use
	// it and choose behaviour through their environment (see
	// testimage/entry.sh).
	Image = ImageRepo + ":latest"
	// VesselImage serves "hello from vessel" on the Vessel's port 8000 and
	// writes VesselWriteFile into the Crypt's lab (mounted read-write by the
	// Vessel's unit).
	VesselImage = ImageRepo + ":vessel"
	// VesselOwnUserImage is VesselImage run as a user of its own (uid 472,
	// group 0), as an image with a USER line is: a rune with HostUser
	// runs it as the host user all the same.
	VesselOwnUserImage = ImageRepo + ":vessel-own-user"
	// PhylacteryImage serves on PostgreSQL's port 5432.
	PhylacteryImage = ImageRepo + ":phylactery"
	// OculusImage serves on Phoenix's port 6006.
	OculusImage = ImageRepo + ":oculus"
	// HarvesterImage and GrafanaImage stand in for the Watchers'
	// Prometheus (port 9091) and Grafana (port 3000); they ignore the
	// arguments the Harvester's unit passes.
	HarvesterImage = ImageRepo + ":harvester"
	GrafanaImage   = ImageRepo + ":grafana"
	// VesselWriteFile is the file the Vessel's container writes at start:
	// a path in the Crypt's lab, which the Vessel's unit mounts read-write
	// at the same path.
	VesselWriteFile = CryptDir + "/lab/written-by-vessel"
)

//go:embed testimage/entry.sh
var entrySh []byte

// imageTags maps each tag to the environment it adds to the plain image.
var imageTags = map[string][]string{
	Image:              nil,
	VesselImage:        {"NAME=vessel", "PORT=8000", "WRITE_FILE=" + VesselWriteFile},
	VesselOwnUserImage: {"NAME=vessel", "PORT=8000", "WRITE_FILE=" + VesselWriteFile},
	PhylacteryImage:    {"NAME=phylactery", "PORT=5432"},
	OculusImage:        {"NAME=oculus", "PORT=6006"},
	HarvesterImage:     {"NAME=harvester", "PORT=9091"},
	GrafanaImage:       {"NAME=grafana", "PORT=3000"},
}

// imageUsers are the tags that run as a user of their own, as the images
// they stand in for do: Prometheus's image runs as nobody, Grafana's as
// uid 472 in group 0.
var imageUsers = map[string]string{
	HarvesterImage: "65534:65534",
	GrafanaImage:   "472:0",
	// VesselOwnUserImage: the user HostUser overrides.
	VesselOwnUserImage: "472:0",
}

// applets are the busybox applets the image links in /bin: the entrypoint's
// and what a test or a HealthCmd= may run with podman exec.
var applets = []string{
	"[", "cat", "date", "echo", "env", "false", "grep", "httpd", "id", "kill",
	"ls", "mkdir", "ps", "rm", "sh", "sleep", "stat", "test", "touch", "tr",
	"true", "wget",
}

// imageEpoch is every file's and the image's creation time, so that the
// archive is the same bytes for the same busybox.
var imageEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteImageArchive writes the test image, every tag of it, as one
// docker-archive (podman load -i FILE) built from busybox, the contents of
// a static busybox binary.
func WriteImageArchive(w io.Writer, busybox []byte) error {
	layer, err := imageLayer(busybox)
	if err != nil {
		return fmt.Errorf("test image layer: %w", err)
	}
	layerSum := sha256.Sum256(layer)
	layerName := hex.EncodeToString(layerSum[:]) + ".tar"

	type manifestEntry struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	var manifest []manifestEntry
	files := map[string][]byte{layerName: layer}
	tags := make([]string, 0, len(imageTags))
	for tag := range imageTags {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	for _, tag := range tags {
		cfg, err := imageConfig(imageTags[tag], imageUsers[tag], "sha256:"+hex.EncodeToString(layerSum[:]))
		if err != nil {
			return fmt.Errorf("test image config of %s: %w", tag, err)
		}
		sum := sha256.Sum256(cfg)
		name := hex.EncodeToString(sum[:]) + ".json"
		files[name] = cfg
		manifest = append(manifest, manifestEntry{Config: name, RepoTags: []string{tag}, Layers: []string{layerName}})
	}
	mb, err := json.Marshal(manifest)
	if err != nil {
		return fmt.Errorf("test image manifest: %w", err)
	}
	files["manifest.json"] = mb

	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, n := range names {
		if err := writeTarFile(tw, n, 0o644, files[n]); err != nil {
			return fmt.Errorf("test image archive: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("test image archive: %w", err)
	}
	return nil
}

// imageLayer is the image's only layer, an uncompressed tar.
func imageLayer(busybox []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := []struct {
		name string
		mode int64
	}{{"bin/", 0o755}, {"etc/", 0o755}, {"tmp/", 0o1777}}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d.name, Mode: d.mode, ModTime: imageEpoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	if err := writeTarFile(tw, "bin/busybox", 0o755, busybox); err != nil {
		return nil, err
	}
	for _, a := range applets {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: "bin/" + a, Linkname: "busybox", Mode: 0o777, ModTime: imageEpoch, Format: tar.FormatPAX}); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name    string
		mode    int64
		content []byte
	}{
		{"etc/passwd", 0o644, []byte("root:x:0:0:root:/:/bin/sh\n")},
		{"etc/group", 0o644, []byte("root:x:0:\n")},
		{"entry.sh", 0o755, entrySh},
	} {
		if err := writeTarFile(tw, f.name, f.mode, f.content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeTarFile(tw *tar.Writer, name string, mode int64, content []byte) error {
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(content)), ModTime: imageEpoch, Format: tar.FormatPAX}); err != nil {
		return err
	}
	_, err := tw.Write(content)
	return err
}

// imageConfig is an OCI/Docker image configuration with the entrypoint and
// env added to the plain image's.
func imageConfig(env []string, user, diffID string) ([]byte, error) {
	type config struct {
		User       string   `json:"User,omitempty"`
		Env        []string `json:"Env"`
		Entrypoint []string `json:"Entrypoint"`
		StopSignal string   `json:"StopSignal"`
	}
	type history struct {
		Created   time.Time `json:"created"`
		CreatedBy string    `json:"created_by"`
	}
	return json.Marshal(struct {
		Architecture string    `json:"architecture"`
		OS           string    `json:"os"`
		Created      time.Time `json:"created"`
		Config       config    `json:"config"`
		RootFS       struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
		History []history `json:"history"`
	}{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      imageEpoch,
		Config: config{
			User:       user,
			Env:        append([]string{"PATH=/bin"}, env...),
			Entrypoint: []string{"/bin/sh", "/entry.sh"},
			StopSignal: "SIGTERM",
		},
		RootFS: struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		}{Type: "layers", DiffIDs: []string{diffID}},
		History: []history{{Created: imageEpoch, CreatedBy: "lychd realpodman test image (busybox + entry.sh)"}},
	})
}
