package kube

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/model"
)

type goldenCase struct {
	manifest func() *model.Manifest
	opts     Options
}

// goldenCases each write testdata/golden/NAME.yaml (the stream) and
// NAME.txt (skipped runes, notes, scale commands and file names).
var goldenCases = map[string]goldenCase{
	// Default options: core runes skipped, named volumes only.
	"default": {manifest: func() *model.Manifest {
		m := richManifest()
		for i := range m.Runes {
			if m.Runes[i].Name == "kokoro" {
				m.Runes[i].Volumes = []string{"voices:/voices:ro"}
			}
		}
		return m
	}},
	// Everything: host paths allowed, core runes with their home, a
	// namespace, a storage class, a per-volume size, a secret added by the
	// options, the xe Intel
	// resource and two GPUs for "all".
	"host-paths-core": {manifest: richManifest, opts: Options{
		AllowHostPaths: true, Home: "/home/magus", IncludeCore: true,
		Namespace: "lychd", StorageClass: "fast-ssd", VolumeSize: "200Gi",
		VolumeSizes:     map[string]string{"HF_Cache": "20Gi"},
		DeviceResources: map[string]string{"intel.com/gpu": "gpu.intel.com/xe"},
		AllDevices:      2,
		Secrets: map[string][]SecretRef{
			"llava": {{Name: "llava-key", Type: SecretEnv, Target: "LLAVA_KEY"}},
		},
	}},
	// The vision coven scaled up with its counts written into the
	// objects: omni and llava, and siglip that llava wants, to 1; qwen
	// (chat) and kokoro (speech) are hostile to vision and go to 0.
	"scale-vision": {manifest: richManifest, opts: Options{AllowHostPaths: true, Scale: "vision", WriteReplicas: true}},
	// Health checks, memory limits, shared memory and a resident
	// soulstone (one replica, like the core).
	// An extension's one-shot that a soulstone requires becomes its init
	// container, sharing the claim both mount; one no exported rune
	// requires is skipped.
	"one-shot": {manifest: func() *model.Manifest {
		ext := model.Source{Kind: model.SourceExtension, Name: "weights"}
		return &model.Manifest{Runes: []model.Rune{
			{Name: "qwen", Kind: model.KindSoulstone, Image: "docker.io/vllm/vllm-openai:v0.9.1", Groups: []string{"chat"}, Port: 8081,
				Volumes:  []string{"models:/models:ro"},
				Requires: []string{"lychd-fetch-weights.service"}, After: []string{"lychd-fetch-weights.service"},
				Source: codexSrc("soulstones/chat.toml", 1)},
			{Name: "fetch-weights", Kind: model.KindOneShot, Image: "ghcr.io/example/fetch:1", Exec: []string{"fetch", "Qwen/Qwen2.5-7B-Instruct", "$(HOME)"},
				Volumes:     []string{"models:/models:rw", "scratch:/scratch"},
				Environment: []model.EnvVar{{Name: "HF_HUB_ENABLE_HF_TRANSFER", Value: "1"}},
				Secrets:     []model.Secret{{Name: "hf-token", Type: "env", Target: "HF_TOKEN"}},
				HostUser:    true, Source: ext},
			{Name: "orphan", Kind: model.KindOneShot, Image: "ghcr.io/example/fetch:1", Source: ext},
		}}
	}},
	"engine-health": {manifest: engineHealthManifest},
	// A coven filter keeps the resident soulstone, which runs beside
	// every coven.
	"engine-health-coven": {manifest: engineHealthManifest, opts: Options{Covens: []string{"reasoning"}}},
	// A coven filter: chat and speech only, with the chat coven's kubectl
	// commands (kokoro is allied and gets none).
	"covens-chat-speech": {manifest: richManifest, opts: Options{Covens: []string{"chat", "speech"}, AllowHostPaths: true, Scale: "chat"}},
}

func TestGolden(t *testing.T) {
	names := make([]string, 0, len(goldenCases))
	for name := range goldenCases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := goldenCases[name]
		t.Run(name, func(t *testing.T) {
			res, err := Export(c.manifest(), c.opts)
			if err != nil {
				t.Fatalf("Export: %v", err)
			}
			stream, err := Stream(res.Objects)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name+".yaml", stream)
			roundTrip(t, res.Objects, stream)

			files, err := Files(res.Objects)
			if err != nil {
				t.Fatal(err)
			}
			docs := splitStream(t, stream)
			var fileNames []string
			for i, o := range res.Objects {
				fn := FileName(o)
				fileNames = append(fileNames, fn)
				if !bytes.Equal(files[fn], docs[i]) {
					t.Errorf("%s differs from document %d of the stream", fn, i)
				}
			}
			if len(files) != len(res.Objects) {
				t.Errorf("%d files for %d objects", len(files), len(res.Objects))
			}

			var txt strings.Builder
			fmt.Fprintln(&txt, "# skipped")
			for _, s := range res.Skipped {
				fmt.Fprintf(&txt, "%s: %s\n", s.Rune, s.Reason)
			}
			fmt.Fprintln(&txt, "# notes")
			for _, n := range res.Notes {
				fmt.Fprintln(&txt, n)
			}
			fmt.Fprintln(&txt, "# scale")
			for _, cmd := range res.ScaleCommands() {
				fmt.Fprintln(&txt, cmd)
			}
			fmt.Fprintln(&txt, "# files")
			for _, fn := range fileNames {
				fmt.Fprintln(&txt, fn)
			}
			checkGolden(t, name+".txt", []byte(txt.String()))
		})
	}
}

// TestDeterministic exports the same manifest with its runes, devices and
// option maps in other orders and expects the same bytes.
func TestDeterministic(t *testing.T) {
	c := goldenCases["host-paths-core"]
	first, err := Export(c.manifest(), c.opts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Stream(first.Objects)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20; i++ {
		m := c.manifest()
		rng.Shuffle(len(m.Runes), func(a, b int) { m.Runes[a], m.Runes[b] = m.Runes[b], m.Runes[a] })
		for j := range m.Runes {
			d := m.Runes[j].Devices
			rng.Shuffle(len(d), func(a, b int) { d[a], d[b] = d[b], d[a] })
		}
		res, err := Export(m, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Stream(res.Objects)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("shuffle %d: the stream differs", i)
		}
		if strings.Join(res.Notes, "\n") != strings.Join(first.Notes, "\n") {
			t.Fatalf("shuffle %d: the notes differ:\n%s\nvs\n%s", i, strings.Join(res.Notes, "\n"), strings.Join(first.Notes, "\n"))
		}
	}
}

// TestDecodeStrictRefusesUnknownFields shows that the round trip would
// catch a field the API type does not have.
func TestDecodeStrictRefusesUnknownFields(t *testing.T) {
	res, err := Export(goldenCases["default"].manifest(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Marshal(res.Objects[len(res.Objects)-1])
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(doc, []byte("  replicas: 0\n"), []byte("  replicas: 0\n  replica: 1\n"), 1)
	if bytes.Equal(bad, doc) {
		t.Fatalf("the last object has no replicas line:\n%s", doc)
	}
	if _, err := decodeStrict(bad); err == nil || !strings.Contains(err.Error(), `json: unknown field "replica"`) {
		t.Fatalf("decodeStrict accepted an unknown field: %v", err)
	}
}

// engineHealthManifest has health checks, memory limits, shared memory and
// a resident soulstone.
func engineHealthManifest() *model.Manifest {
	return &model.Manifest{Runes: []model.Rune{
		{Name: "qwen", Kind: model.KindSoulstone, Image: "docker.io/vllm/vllm-openai:latest", Groups: []string{"reasoning"}, Port: 8081,
			Exec:      []string{"Qwen/Qwen2.5-7B-Instruct", "--port", "8081"},
			HealthCmd: []string{"curl", "-fsS", "http://127.0.0.1:8081/health"}, HealthInterval: 10 * time.Second, HealthTimeout: 5 * time.Second,
			HealthRetries: 3, HealthStartPeriod: 1800 * time.Second, StartTimeout: 1800 * time.Second, ShmSize: "16g", Memory: "48g",
			Source: codexSrc("soulstones/models.toml", 1)},
		{Name: "embed", Kind: model.KindSoulstone, Resident: true, Image: "ghcr.io/ggml-org/llama.cpp:server", Port: 8090,
			HealthCmd: []string{"curl", "-fsS", "http://127.0.0.1:8090/health"}, Memory: "4g", Source: codexSrc("soulstones/models.toml", 6)},
	}}
}
