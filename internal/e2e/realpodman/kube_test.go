package realpodman

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/e2e"
)

// kubeCodex is a single-host Codex of two hostile covens for the export:
// chat (one soulstone with a named volume and two Podman secrets, one read
// as an environment variable, one as a file) and vision (one soulstone
// with the bed's fake GPU). Both serve their name on their port.
var kubeCodex = fmt.Sprintf(`[chat]
image = %q
groups = ["chat"]
port = 8101
volumes = ["kube-models:/models"]
environment = { NAME = "chat", PORT = "8101" }
secrets = ["chat-token,type=env,target=TOKEN", "chat-cert,target=certs/chat.pem"]

[vision]
image = %q
groups = ["vision"]
port = 8102
devices = ["nvidia.com/gpu=all"]
environment = { NAME = "vision", PORT = "8102" }
`, Image, Image)

// play runs podman kube play on file. The bed's machine mounts /proc/sys
// read-only, so the bridge network that kube play creates by default
// cannot be set up (netavark: "Sysctl error: ... Read-only file system"):
// the played pods use pasta, as lychd's own pod does.
func play(t *testing.T, b *Bed, file string) {
	t.Helper()
	b.MustUser(t, "podman", "kube", "play", "--network", "pasta", file)
}

// playWait bounds how long podman kube play's containers may take to run
// and serve, and podman kube down's to go.
const playWait = 30 * time.Second

// kubeExport writes `lychd export kube ARGS` into a file of the user and
// returns its path and content.
func kubeExport(t *testing.T, b *Bed, name string, args ...string) (string, string) {
	t.Helper()
	file := Home + "/.cache/lychd/" + name
	if err := b.MkdirUser(Home + "/.cache/lychd"); err != nil {
		t.Fatal(err)
	}
	b.MustUser(t, append([]string{"sh", "-c", `"$0" export kube "$@" >"` + file + `"`, e2e.LychdPath}, args...)...)
	return file, b.MustUser(t, "cat", file)
}

// playedContainers returns the names of the running containers of pods
// podman kube play made (not the pods' infra containers), sorted.
func playedContainers(t *testing.T, b *Bed) []string {
	t.Helper()
	var names []string
	for _, c := range b.Containers(t) {
		if c.Status == "running" && !c.Infra && c.Pod != "" {
			names = append(names, c.Name)
		}
	}
	return names
}

// serves reports whether the container's server answers "hello from
// NAME" on port inside its pod.
func serves(t *testing.T, b *Bed, container string, port int, name string) (bool, string) {
	t.Helper()
	out, errOut, err := b.User(t, "podman", "exec", container, "wget", "-q", "-O", "-", fmt.Sprintf("http://127.0.0.1:%d/", port))
	if err != nil {
		return false, fmt.Sprintf("%s: wget: %v: %s", container, err, strings.TrimSpace(errOut))
	}
	want := "hello from " + name + "\n"
	return out == want, fmt.Sprintf("%s answered %q, want %q", container, out, want)
}

// kubeSecrets are the Kubernetes Secrets a user creates for the export of
// kubeCodex, as the export's notes say: the value under the key "value".
// podman kube play turns them into Podman secrets that the played
// containers' secretKeyRef and secret volumes read.
const kubeSecrets = `apiVersion: v1
kind: Secret
metadata:
  name: chat-token
stringData:
  value: cluster-token
---
apiVersion: v1
kind: Secret
metadata:
  name: chat-cert
stringData:
  value: cluster-cert
`

// TestKubeExportPlays: the Kubernetes export of a bound single-host Codex
// is accepted by podman kube play, whose containers then run the
// soulstones from the export (image, environment, port, named volume, the
// Podman secrets as references to Secrets the user created).
// It also pins down what Podman ignores: the replica counts --scale
// writes (a Deployment with replicas 0 still runs one pod) and the GPU
// limits (the played soulstone gets no device); --coven is how to play one
// coven.
func TestKubeExportPlays(t *testing.T) {
	b := bed(t)
	b.WriteCodex(t, map[string]string{
		"lychd.toml":           lychdToml(freeCorePorts(t), ""),
		"soulstones/kube.toml": kubeCodex,
	})
	lychdInit(t, b)
	// The host's Podman secrets, which bind checks; their values never
	// reach the export.
	for name, value := range map[string]string{"chat-token": "host-token", "chat-cert": "host-cert"} {
		b.MustUser(t, "sh", "-c", `printf %s "$1" | podman secret create "$0" -`, name, value)
	}
	b.MustLychd(t, "bind")

	// The commands that swap to chat on a cluster: vision first, to free
	// its GPU.
	got := b.MustLychd(t, "export", "kube", "--scale", "chat")
	want := "kubectl scale deployment/vision --replicas=0\nkubectl scale deployment/chat --replicas=1\n"
	if got != want {
		t.Fatalf("lychd export kube --scale chat printed:\n%s\nwant:\n%s", got, want)
	}

	file, yaml := kubeExport(t, b, "all.yaml", "--scale", "chat", "--write-replicas")
	for _, s := range []string{"name: chat\nspec:\n  replicas: 1\n", "name: vision\nspec:\n  replicas: 0\n", "nvidia.com/gpu: \"1\"", "kind: PersistentVolumeClaim", "secretKeyRef:", "secretName: chat-cert"} {
		if !strings.Contains(yaml, s) {
			t.Fatalf("the export does not hold %q:\n%s", s, yaml)
		}
	}
	if strings.Contains(yaml, "host-token") || strings.Contains(yaml, "host-cert") {
		t.Fatalf("the export holds a secret's value:\n%s", yaml)
	}

	// The user creates the Secrets the export refers to. Under Podman
	// they are Podman secrets of the same names, so the host's go first.
	b.MustUser(t, "podman", "secret", "rm", "chat-token", "chat-cert")
	b.WriteUserFile(t, Home+"/.cache/lychd/secrets.yaml", kubeSecrets)
	b.MustUser(t, "podman", "kube", "play", Home+"/.cache/lychd/secrets.yaml")
	start := time.Now()
	play(t, b, file)
	wantRunning := []string{"chat-pod-chat", "vision-pod-vision"}
	eventually(t, playWait, "the played soulstones run and serve", func() (bool, string) {
		got := playedContainers(t, b)
		if !slices.Equal(got, wantRunning) {
			return false, fmt.Sprintf("running %v, want %v", got, wantRunning)
		}
		if ok, last := serves(t, b, "chat-pod-chat", 8101, "chat"); !ok {
			return false, last
		}
		return serves(t, b, "vision-pod-vision", 8102, "vision")
	})
	t.Logf("podman kube play to both soulstones serving: %v", time.Since(start).Round(time.Millisecond))

	cs := b.Containers(t)
	chat, _ := ByName(cs, "chat-pod-chat")
	if chat.Image != Image {
		t.Errorf("chat-pod-chat runs %s, want %s", chat.Image, Image)
	}
	if !slices.Contains(chat.Env, "NAME=chat") {
		t.Errorf("chat-pod-chat's environment %v lacks NAME=chat", chat.Env)
	}
	// The secrets reach the container from the user's Secrets: the
	// variable and the file the Codex names.
	if got := b.MustUser(t, "podman", "exec", "chat-pod-chat", "sh", "-c", `printf %s "$TOKEN" && cat /run/secrets/certs/chat.pem`); got != "cluster-tokencluster-cert" {
		t.Errorf("chat-pod-chat reads its secrets as %q, want %q (TOKEN, then /run/secrets/certs/chat.pem)", got, "cluster-tokencluster-cert")
	}
	// The claim became the Podman volume of its name, mounted where the
	// Codex said.
	mounts := b.MustUser(t, "podman", "container", "inspect", "--format", "{{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}} {{end}}", "chat-pod-chat")
	if !strings.Contains(mounts, "volume:kube-models:/models") {
		t.Errorf("chat-pod-chat's mounts are %q, want the volume kube-models at /models", mounts)
	}
	// Podman ignores the GPU limit: vision has no device, though the host
	// has the CDI device the Codex names.
	if _, _, err := b.User(t, "podman", "exec", "vision-pod-vision", "test", "-e", "/dev/nvidia-fake"); err == nil {
		t.Errorf("vision-pod-vision has /dev/nvidia-fake: podman kube play gave it the GPU, the docs say it does not")
	}
	if _, _, err := b.Run(t, "test", "-e", "/dev/nvidia-fake"); err != nil {
		t.Fatalf("the bed has no fake GPU device node: %v", err)
	}

	b.MustUser(t, "podman", "kube", "down", file)
	eventually(t, playWait, "podman kube down removes the played pods", func() (bool, string) {
		pods := strings.Fields(b.MustUser(t, "podman", "pod", "ps", "--format", "{{.Name}}"))
		return len(pods) == 0, fmt.Sprintf("pods %v", pods)
	})

	// One coven on Podman: export only its soulstones.
	file, _ = kubeExport(t, b, "chat.yaml", "--coven", "chat")
	play(t, b, file)
	eventually(t, playWait, "the chat coven runs alone", func() (bool, string) {
		got := playedContainers(t, b)
		if !slices.Equal(got, []string{"chat-pod-chat"}) {
			return false, fmt.Sprintf("running %v, want [chat-pod-chat]", got)
		}
		return serves(t, b, "chat-pod-chat", 8101, "chat")
	})
	b.MustUser(t, "podman", "kube", "down", file)
	if out := b.MustUser(t, "podman", "ps", "--all", "--quiet"); out != "" {
		t.Errorf("containers left after podman kube down:\n%s", out)
	}
}
