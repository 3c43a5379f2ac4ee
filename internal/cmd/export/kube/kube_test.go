package kube

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmd/cmdtest"
	"github.com/lychd/lychd/internal/golden"
	"github.com/lychd/lychd/internal/model"
)

const soulstones = `[llava]
image = "ghcr.io/example/llava:1"
groups = ["vision"]
port = 8081
devices = ["nvidia.com/gpu=all"]
volumes = ["models:/models:ro"]

[ocr]
image = "ghcr.io/example/ocr:1"
groups = ["vision"]
port = 8082

[hermes]
image = "ghcr.io/example/hermes:1"
groups = ["reasoning"]
port = 8081
devices = ["nvidia.com/gpu=all"]
secrets = ["hf-token,type=env,target=HF_TOKEN", "hermes-license"]
`

func run(t *testing.T, env *cmdtest.Env, args ...string) (string, string, error) {
	t.Helper()
	env.Out.Reset()
	env.Err.Reset()
	cmd := NewCmd(env.Factory(), nil)
	cmd.SetArgs(append([]string{}, args...))
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(context.Background())
	return env.Out.String(), env.Err.String(), err
}

func boundEnv(t *testing.T) *cmdtest.Env {
	t.Helper()
	env := cmdtest.New(t)
	env.WriteCodex(t, "soulstones/all.toml", soulstones)
	env.Bind(t, nil)
	return env
}

// The export reads the bound record: the stream on stdout is what
// internal/kube builds from it, the Codex's secrets as references with a
// note each.
func TestExportStream(t *testing.T) {
	env := boundEnv(t)
	out, errOut, err := run(t, env)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/stream.golden", []byte(out))
	// The Codex's secrets are references to Secrets the user creates,
	// and the notes say how.
	wantErr := `lychd: note: soulstone "hermes" (soulstones/all.toml:13) reads the Podman secret "hf-token": create it on the cluster with "kubectl create secret generic hf-token --from-file=value=FILE"
lychd: note: soulstone "hermes" (soulstones/all.toml:13) reads the Podman secret "hermes-license": create it on the cluster with "kubectl create secret generic hermes-license --from-file=value=FILE"
`
	if errOut != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", errOut, wantErr)
	}
	for _, doc := range strings.Split(out, "\n---\n") {
		if !strings.Contains(doc, "kind: Deployment") {
			continue
		}
		var d appsv1.Deployment
		if err := yaml.UnmarshalStrict([]byte(doc), &d); err != nil {
			t.Fatalf("%v\n%s", err, doc)
		}
		if *d.Spec.Replicas != 0 {
			t.Errorf("%s: replicas %d, want 0", d.Name, *d.Spec.Replicas)
		}
	}
}

func TestExportScaleAndDirectory(t *testing.T) {
	env := boundEnv(t)
	out, _, err := run(t, env, "--scale", "reasoning")
	if err != nil {
		t.Fatal(err)
	}
	want := "kubectl scale deployment/llava --replicas=0\nkubectl scale deployment/ocr --replicas=0\nkubectl scale deployment/hermes --replicas=1\n"
	if out != want {
		t.Errorf("--scale reasoning:\n%s\nwant:\n%s", out, want)
	}
	dir := filepath.Join(t.TempDir(), "k8s")
	if _, errOut, err := run(t, env, "-o", dir, "--coven", "vision"); err != nil || errOut != "lychd: not exported: hermes: in coven reasoning, not among --coven vision\nWrote 5 files into "+dir+".\n" {
		t.Fatalf("-o DIR: %v\n%s", err, errOut)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "deployment-llava.yaml deployment-ocr.yaml persistentvolumeclaim-models.yaml service-llava.yaml service-ocr.yaml" {
		t.Errorf("files: %s", got)
	}
	// A file with other content is not lychd's to replace.
	mine := filepath.Join(dir, "service-ocr.yaml")
	if err := os.WriteFile(mine, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = run(t, env, "-o", dir, "--coven", "vision")
	if want := "export kube: nothing was written: " + mine + " already holds other content; remove it or export into another directory"; err == nil || err.Error() != want {
		t.Errorf("export over a file of the user's: %v\nwant %s", err, want)
	}
	if data, _ := os.ReadFile(mine); string(data) != "mine\n" {
		t.Errorf("the user's file changed: %q", data)
	}
}

func TestExportErrors(t *testing.T) {
	env := boundEnv(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--write-replicas"}, "--write-replicas needs --scale COVEN"},
		{[]string{"--device-resource", "nvidia.com/gpu"}, `--device-resource "nvidia.com/gpu": write CDI=RESOURCE, e.g. --device-resource intel.com/gpu=gpu.intel.com/xe`},
	} {
		if _, _, err := run(t, env, tc.args...); err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v, want %s", tc.args, err, tc.want)
		}
	}
	if _, _, err := run(t, cmdtest.New(t)); err == nil || err.Error() != "nothing is bound yet; run: lychd bind" {
		t.Errorf("nothing bound: %v", err)
	}
}

// TestExportSecrets: the secrets the bound units name become secretKeyRef
// variables and secret volumes, with the kubectl command that creates
// each on the cluster; no value is involved.
func TestExportSecrets(t *testing.T) {
	env := cmdtest.New(t)
	env.WriteCodex(t, "soulstones/all.toml", `[hermes]
image = "ghcr.io/example/hermes:1"
port = 8081
secrets = ["hf-token,type=env,target=HF_TOKEN", "tls"]
`)
	env.Bind(t, nil)
	out, errOut, err := run(t, env)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name: HF_TOKEN", "secretKeyRef:", "name: hf-token", "secretName: tls", "mountPath: /run/secrets/tls"} {
		if !strings.Contains(out, want) {
			t.Errorf("the export lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{
		`lychd: note: soulstone "hermes" (soulstones/all.toml:1) reads the Podman secret "hf-token": create it on the cluster with "kubectl create secret generic hf-token --from-file=value=FILE"`,
		`lychd: note: soulstone "hermes" (soulstones/all.toml:1) reads the Podman secret "tls": create it on the cluster with "kubectl create secret generic tls --from-file=value=FILE"`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

// The core runes every bind has are left out without a word (the help says
// so, and --core adds them); what --coven leaves out is still named.
func TestExportLeavesTheCoreOutQuietly(t *testing.T) {
	env := cmdtest.New(t)
	env.WriteCodex(t, "soulstones/all.toml", soulstones)
	src := model.Source{Kind: model.SourceCore, Name: "core"}
	env.Bind(t, &host.Result{Runes: []model.Rune{
		{Name: "vessel", Kind: model.KindCore, Image: "ghcr.io/hexanomicon/lychd:1", Port: 8000, ExposePort: true, HostPort: 8080, Source: src},
		{Name: "oculus", Kind: model.KindCore, Image: "docker.io/arizephoenix/phoenix:1", Source: src},
	}})
	out, errOut, err := run(t, env)
	if err != nil || strings.Contains(errOut, "not exported") {
		t.Fatalf("export: %v\nstderr:\n%s", err, errOut)
	}
	if strings.Contains(out, "vessel") || strings.Contains(out, "oculus") {
		t.Errorf("core runes exported without --core:\n%s", out)
	}
	if _, errOut, err := run(t, env, "--coven", "vision"); err != nil || errOut != "lychd: not exported: hermes: in coven reasoning, not among --coven vision\n" {
		t.Errorf("--coven vision: %v\nstderr:\n%s", err, errOut)
	}
}
