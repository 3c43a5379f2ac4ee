package kube

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/model"
)

func codexSrc(file string, line int) model.Source {
	return model.Source{Kind: model.SourceCodex, Name: file, Line: line}
}

var coreSrc = model.Source{Kind: model.SourceCore, Name: "core"}

// coreRunes are the three core runes as the core extension writes them.
func coreRunes() []model.Rune {
	return []model.Rune{
		{Name: "vessel", Kind: model.KindCore, Description: "The LychD Daemon Vessel", Image: "ghcr.io/hexanomicon/lychd:latest",
			Wants: []string{"network-online.target", "lychd-phylactery.service"}, After: []string{"network-online.target", "lychd-phylactery.service", "lychd-migrate.service"},
			Requires: []string{"lychd-migrate.service"}, HostUser: true,
			Port: 8000, ExposePort: true, HostPort: 7134, StartTimeout: 300 * time.Second,
			Volumes: []string{
				"%h/.config/lychd:%h/.config/lychd:ro,Z",
				"%h/.local/share/lychd/lab:%h/.local/share/lychd/lab:rw,Z",
				"%h/.local/share/lychd/core:%h/.local/share/lychd/core:ro,Z",
				"%h/.local/share/lychd/extensions:%h/.local/share/lychd/extensions:ro,Z",
				"%h/.local/share/lychd/triggers/inbox:%h/.local/share/lychd/triggers/inbox:rw,Z",
				"%h/.local/share/lychd/triggers/journal:%h/.local/share/lychd/triggers/journal:ro,Z",
			},
			Environment: []model.EnvVar{
				{Name: "HOME", Value: "%h"},
				{Name: "XDG_CACHE_HOME", Value: "%h/.cache"},
				{Name: "XDG_CONFIG_HOME", Value: "%h/.config"},
				{Name: "XDG_DATA_HOME", Value: "%h/.local/share"},
			},
			Secrets: []model.Secret{{Name: "lychd-phylactery-password", Type: "mount"}, {Name: "lychd-vessel-secret-key", Type: "mount"}},
			Source:  coreSrc},
		{Name: "migrate", Kind: model.KindOneShot, Description: "The LychD Phylactery migration gate", Image: "ghcr.io/hexanomicon/lychd:latest",
			Wants: []string{"lychd-phylactery.service"}, Requires: []string{"lychd-phylactery.service"}, After: []string{"lychd-phylactery.service"},
			Volumes: []string{
				"%h/.config/lychd:%h/.config/lychd:ro,Z",
				"%h/.local/share/lychd/core:%h/.local/share/lychd/core:ro,Z",
			},
			Environment: []model.EnvVar{{Name: "LYCHD_DB_PASSWORD_FILE", Value: "/run/secrets/lychd-phylactery-password"}},
			Exec:        []string{"lychd", "database", "--wait-seconds", "60", "upgrade", "head", "--no-prompt"},
			Secrets:     []model.Secret{{Name: "lychd-phylactery-password", Type: "mount"}}, HostUser: true, StartTimeout: 300 * time.Second,
			Source: coreSrc},
		{Name: "phylactery", Kind: model.KindCore, Description: "The LychD Phylactery (PostgreSQL with pgvector)", Image: "docker.io/pgvector/pgvector:pg18-trixie", Port: 5432,
			Volumes: []string{"%h/.local/share/lychd/phylactery:/var/lib/postgresql:U,Z"},
			Environment: []model.EnvVar{
				{Name: "POSTGRES_DB", Value: "lychd"},
				{Name: "POSTGRES_PASSWORD_FILE", Value: "/run/secrets/lychd-phylactery-password"},
				{Name: "POSTGRES_USER", Value: "lich"},
			},
			Secrets: []model.Secret{{Name: "lychd-phylactery-password", Type: "mount"}},
			Source:  coreSrc},
		{Name: "oculus", Kind: model.KindCore, Description: "The LychD Oculus (Arize Phoenix tracing)", Image: "docker.io/arizephoenix/phoenix:latest", Port: 6006, ExposePort: true, HostPort: 6006,
			Volumes:     []string{"%h/.local/share/lychd/oculus:/mnt/data:rw,Z"},
			Environment: []model.EnvVar{{Name: "PHOENIX_WORKING_DIR", Value: "/mnt/data"}}, Source: coreSrc},
	}
}

// soulstones is a Codex with three covens (chat and speech allied, vision
// not), a soulstone in two covens, GPUs of three vendors, a shared named
// volume, a volume name that is no object name, environment and exec
// arguments with "$", a soulstone without a port, a dependency, and
// Podman secrets (an environment variable, a file under /run/secrets, one
// secret read by two soulstones).
func soulstones() []model.Rune {
	return []model.Rune{
		{Name: "qwen", Kind: model.KindSoulstone, Description: "Qwen on vLLM", Image: "docker.io/vllm/vllm-openai:v0.9.1", Groups: []string{"chat"},
			Port: 8081, ExposePort: true, HostPort: 18081, StartTimeout: 600 * time.Second,
			Devices: []string{"nvidia.com/gpu=0", "nvidia.com/gpu=1"},
			Volumes: []string{"models:/models:ro"},
			Environment: []model.EnvVar{
				{Name: "HF_HOME", Value: "/models/hf cache"},
				{Name: "PROMPT", Value: `say "100%" of $HOME and $(USER)`},
			},
			Exec:    []string{"--model", "/models/qwen", "--port", "8081", "--served-model-name", "$(MODEL)"},
			Secrets: []model.Secret{{Name: "hf-token", Type: "env", Target: "HF_TOKEN"}, {Name: "tls-cert", Type: "mount", Target: "certs/tls.pem"}},
			Source:  codexSrc("soulstones/chat.toml", 1)},
		{Name: "omni", Kind: model.KindSoulstone, Image: "ghcr.io/example/omni:1.0", Groups: []string{"chat", "vision"}, Port: 8082,
			Devices: []string{"nvidia.com/gpu=all"},
			Volumes: []string{"models:/models", "HF_Cache:/root/.cache:rw,Z"},
			Secrets: []model.Secret{{Name: "hf-token", Type: "mount"}},
			Source:  codexSrc("soulstones/omni.toml", 1)},
		{Name: "llava", Kind: model.KindSoulstone, Image: "ghcr.io/example/llava:1.0", Groups: []string{"vision"}, Port: 8083,
			Devices:  []string{"intel.com/gpu=gpu0"},
			Wants:    []string{"lychd-soulstone-siglip.service"},
			After:    []string{"lychd-soulstone-siglip.service"},
			Requires: nil,
			Source:   codexSrc("soulstones/vision.toml", 1)},
		{Name: "siglip", Kind: model.KindSoulstone, Image: "ghcr.io/example/siglip:1.0", Groups: []string{"vision"},
			Devices: []string{"amd.com/gpu=all"},
			Exec:    []string{"--listen", "unix:///run/siglip.sock"},
			Source:  codexSrc("soulstones/vision.toml", 9)},
		{Name: "kokoro", Kind: model.KindSoulstone, Image: "ghcr.io/example/kokoro:1.0", Groups: []string{"speech"}, Port: 8084,
			Volumes: []string{"/srv/voices:/voices:ro,Z"},
			Source:  codexSrc("soulstones/speech.toml", 1)},
	}
}

func richManifest() *model.Manifest {
	return &model.Manifest{
		Pod:       model.Pod{PublishAddress: "127.0.0.1"},
		Alliances: [][]string{{"chat", "speech"}},
		Runes:     append(coreRunes(), soulstones()...),
	}
}

// checkGolden compares got with testdata/golden/name (internal/golden).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), got)
}

// splitStream cuts a multi-document stream at its "---" lines.
func splitStream(t *testing.T, stream []byte) [][]byte {
	t.Helper()
	var docs [][]byte
	var cur bytes.Buffer
	for _, line := range strings.SplitAfter(string(stream), "\n") {
		if line == "---\n" {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	if cur.Len() > 0 {
		docs = append(docs, cur.Bytes())
	}
	return docs
}

// decodeStrict decodes one YAML document into the API type its kind names,
// refusing unknown and duplicate fields.
func decodeStrict(doc []byte) (Object, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, fmt.Errorf("read kind: %w", err)
	}
	var obj Object
	switch {
	case tm.APIVersion == "apps/v1" && tm.Kind == "Deployment":
		obj = &appsv1.Deployment{}
	case tm.APIVersion == "v1" && tm.Kind == "Service":
		obj = &corev1.Service{}
	case tm.APIVersion == "v1" && tm.Kind == "PersistentVolumeClaim":
		obj = &corev1.PersistentVolumeClaim{}
	default:
		return nil, fmt.Errorf("unexpected %s %s", tm.APIVersion, tm.Kind)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("strict decode of %s: %w", tm.Kind, err)
	}
	return obj, nil
}

// roundTrip checks that every document of stream decodes strictly into its
// API type, equals the exported object, passes Check and serializes back to
// the same bytes.
func roundTrip(t *testing.T, objs []Object, stream []byte) {
	t.Helper()
	docs := splitStream(t, stream)
	if len(docs) != len(objs) {
		t.Fatalf("the stream has %d documents for %d objects", len(docs), len(objs))
	}
	for i, doc := range docs {
		obj, err := decodeStrict(doc)
		if err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		if !apiequality.Semantic.DeepEqual(obj, objs[i]) {
			t.Errorf("document %d decodes to an object that differs from %s", i, describe(objs[i]))
		}
		if err := Check(obj); err != nil {
			t.Errorf("document %d: %v", i, err)
		}
		again, err := Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, doc) {
			t.Errorf("document %d does not serialize back to the same bytes:\n%s\nvs\n%s", i, again, doc)
		}
	}
}
