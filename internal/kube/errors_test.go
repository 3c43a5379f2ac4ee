package kube

import (
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/model"
)

// stone is a soulstone of coven c with the given changes applied.
func stone(name, c string, change func(r *model.Rune)) model.Rune {
	r := model.Rune{Name: name, Kind: model.KindSoulstone, Image: "ghcr.io/example/" + name + ":1.0", Groups: []string{c}, Port: 8081,
		Source: codexSrc("soulstones/"+name+".toml", 3)}
	if change != nil {
		change(&r)
	}
	return r
}

func manifestOf(runes ...model.Rune) *model.Manifest { return &model.Manifest{Runes: runes} }

func withDevices(d ...string) func(*model.Rune) { return func(r *model.Rune) { r.Devices = d } }
func withVolumes(v ...string) func(*model.Rune) { return func(r *model.Rune) { r.Volumes = v } }

func withSecrets(s ...model.Secret) func(*model.Rune) { return func(r *model.Rune) { r.Secrets = s } }

// TestRefusals pins the exact message of every refusal.
func TestRefusals(t *testing.T) {
	long := strings.Repeat("a", 64)
	cases := []struct {
		name string
		m    *model.Manifest
		opts Options
		want string
	}{
		{"host device path", manifestOf(stone("sd", "image", withDevices("/dev/dri"))), Options{AllowHostPaths: true},
			`soulstone "sd" (soulstones/sd.toml:3): device "/dev/dri": a host device path reaches a container on Kubernetes only in a privileged pod, which lychd does not write; give the device by its CDI name instead (e.g. "nvidia.com/gpu=all", "amd.com/gpu=all" or "intel.com/gpu=gpu0") so that the export requests the device plugin's resource`},
		{"device list in one name", manifestOf(stone("sd", "image", withDevices("nvidia.com/gpu=1,2"))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): device "nvidia.com/gpu=1,2": the device name "1,2" contains ','; write a CDI name such as "nvidia.com/gpu=all" (list yours with "nvidia-ctk cdi list" or look in /etc/cdi)`},
		{"MIG slice", manifestOf(stone("sd", "image", withDevices("nvidia.com/gpu=0:1"))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): device "nvidia.com/gpu=0:1" is a MIG slice of an NVIDIA GPU, which the cluster's device plugin advertises as nvidia.com/gpu or as nvidia.com/mig-PROFILE depending on its MIG strategy; name the resource with --device-resource nvidia.com/gpu=0:1=RESOURCE`},
		{"unknown vendor", manifestOf(stone("sd", "image", withDevices("xilinx.com/fpga=0"))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): device "xilinx.com/fpga=0": no device plugin resource is known for the CDI kind "xilinx.com/fpga" (known: amd.com/gpu, intel.com/gpu, nvidia.com/gpu); name the resource that your cluster's device plugin advertises with --device-resource xilinx.com/fpga=RESOURCE`},
		{"host path", manifestOf(stone("sd", "image", withVolumes("/srv/models:/models:ro,Z"))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): volume "/srv/models:/models:ro,Z": the host path "/srv/models" exists on this host only, and a pod may run on any node; keep the data in a named volume (it becomes a PersistentVolumeClaim), or pass --allow-host-paths if every node that may run it has "/srv/models"`},
		{"home path", manifestOf(coreRunes()[2]), Options{IncludeCore: true},
			`core rune "phylactery": volume "%h/.local/share/lychd/phylactery:/var/lib/postgresql:U,Z": the host path "%h/.local/share/lychd/phylactery" is in the home directory of this host's user; keep the data in a named volume (it becomes a PersistentVolumeClaim), or pass --allow-host-paths and --home DIR with the home directory that has these paths on every node`},
		{"home path without home", manifestOf(coreRunes()[2]), Options{IncludeCore: true, AllowHostPaths: true},
			`core rune "phylactery": volume "%h/.local/share/lychd/phylactery:/var/lib/postgresql:U,Z": the host path "%h/.local/share/lychd/phylactery" starts with "%h", the systemd specifier of the user's home directory, which has no value on a cluster; pass --home DIR with the home directory these paths have on the nodes`},
		{"home as container path", manifestOf(stone("sd", "image", withVolumes("models:%h/models"))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): volume "models:%h/models": the container path "%h/models" starts with "%h", the systemd specifier of the user's home directory, which has no value on a cluster; pass --home DIR with the home directory these paths have on the nodes`},
		{"other specifier", manifestOf(stone("sd", "image", withVolumes("/srv/%u:/data"))), Options{AllowHostPaths: true},
			`soulstone "sd" (soulstones/sd.toml:3): volume "/srv/%u:/data": the only systemd specifier the export understands is "%h" at the start of a path; write the path out`},
		{"home inside a path", manifestOf(stone("sd", "image", withVolumes("/srv/%h:/data"))), Options{AllowHostPaths: true, Home: "/home/magus"},
			`soulstone "sd" (soulstones/sd.toml:3): volume "/srv/%h:/data": "%h" may only start a path, as in "%h/models"`},
		{"bad volume", manifestOf(stone("sd", "image", withVolumes("models"))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): volume "models" has no container path; write "SRC:DST[:OPTIONS]" with SRC an absolute host path or a volume name, e.g. "/srv/models:/models:ro,Z" or "models:/models"`},
		{"volume option", manifestOf(stone("sd", "image", withVolumes("models:/models:noexec"))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): volume "models:/models:noexec": the option "noexec" has no Kubernetes equivalent in the export (it carries ro and rw, and drops z, Z, U and nocopy); remove it`},
		{"home in the environment", manifestOf(model.Rune{Name: "vessel", Kind: model.KindCore, Image: "image",
			Environment: []model.EnvVar{{Name: "HOME", Value: "%h"}}, Source: coreSrc}), Options{IncludeCore: true},
			`core rune "vessel": environment variable HOME=%h starts with "%h", the systemd specifier of the user's home directory, which has no value on a cluster; pass --home DIR with the home directory these paths have on the nodes`},
		{"ro and rw", manifestOf(stone("sd", "image", withVolumes("models:/models:ro,rw"))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): volume "models:/models:ro,rw" has both "ro" and "rw"; keep one`},
		{"same mount path", manifestOf(stone("sd", "image", withVolumes("models:/models", "cache:/models"))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): volumes "models:/models" and "cache:/models" both mount at "/models"; a container path can hold one mount`},
		{"claim names collide", manifestOf(stone("sd", "image", withVolumes("HF_Cache:/a", "hf-cache-6353092a:/b"))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): volume "hf-cache-6353092a:/b": the named volumes "HF_Cache" and "hf-cache-6353092a" would both become the PersistentVolumeClaim "hf-cache-6353092a"; rename one of them`},
		{"environment name", manifestOf(stone("sd", "image", func(r *model.Rune) { r.Environment = []model.EnvVar{{Name: "1X", Value: "y"}} })), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): environment variable "1X": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`},
		{"name too long", manifestOf(stone(long, "image", nil)), Options{},
			`soulstone "` + long + `" (soulstones/` + long + `.toml:3): the name is not a valid Kubernetes object name (must be no more than 63 characters); lychd names are 1 to 63 lower-case letters, digits and "-", starting with a letter`},
		{"name starting with a digit", manifestOf(stone("9b", "image", nil)), Options{},
			`soulstone "9b" (soulstones/9b.toml:3): the name is not a valid Kubernetes object name (a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')); lychd names are 1 to 63 lower-case letters, digits and "-", starting with a letter`},
		{"duplicate names", manifestOf(stone("sd", "image", nil), stone("sd", "image", nil)), Options{},
			`export: more than one rune is named sd; every rune needs its own name, which becomes its Deployment's name`},
		{"unknown rune kind", manifestOf(stone("sd", "image", func(r *model.Rune) { r.Kind = "portal" })), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): unknown rune kind "portal"; expected "soulstone", "core" or "oneshot"`},
		{"no image", manifestOf(stone("sd", "image", func(r *model.Rune) { r.Image = "" })), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): no image`},
		{"port out of range", manifestOf(stone("sd", "image", func(r *model.Rune) { r.Port = 70000 })), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): port 70000 is out of range 1-65535`},

		{"unknown coven", richManifest(), Options{Covens: []string{"chat", "tts", "ocr"}},
			`--coven tts, ocr: no soulstone belongs to those covens (known covens: chat, speech, vision)`},
		{"unknown alliance coven", &model.Manifest{Alliances: [][]string{{"image", "ghost"}}, Runes: []model.Rune{stone("sd", "image", nil)}}, Options{},
			`export: lychd.toml: alliances: unknown coven "ghost": no soulstone belongs to it (known covens: image); remove it from the alliance or add a soulstone with groups = ["ghost"]`},
		{"scale unknown coven", richManifest(), Options{Scale: "tts"},
			`--scale tts: no soulstone belongs to that coven (known covens: chat, speech, vision)`},
		{"scale a filtered-out coven", richManifest(), Options{Covens: []string{"chat"}, Scale: "vision"},
			`--scale vision: the coven runs "llava", "siglip", which the export leaves out; add their covens to --coven`},
		{"scale pulls in an enemy", manifestOf(
			stone("a", "x", func(r *model.Rune) { r.Requires = []string{"lychd-soulstone-b.service"} }),
			stone("b", "y", nil)), Options{Scale: "x"},
			`--scale x: it would start both "a" and "b", but "a" is in coven "x", "b" in coven "y", and no alliance joins them`},
		{"write replicas without scale", richManifest(), Options{WriteReplicas: true},
			`writing replica counts needs the coven to run: pass --scale COVEN`},

		{"bad options", richManifest(), Options{
			Home: "home/magus", Namespace: "Lychd", StorageClass: "fast_ssd", VolumeSize: "lots",
			VolumeSizes: map[string]string{"models": "-1Gi"}, AccessMode: "ReadOnlyMany", AllDevices: -1,
			DeviceResources: map[string]string{"nvidia": "nvidia.com/gpu", "amd.com/gpu": "gpu", "intel.com/gpu": "kubernetes.io/gpu"},
		}, strings.Join([]string{
			`--home "home/magus": write the home directory as a clean absolute path, e.g. "/home/magus"`,
			`--namespace "Lychd" is not a valid namespace name: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
			`--storage-class "fast_ssd" is not a valid storage class name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			`--volume-size "lots" is not a storage size; write a positive quantity such as "100Gi" or "500G"`,
			`--volume-size models="-1Gi" is not a storage size; write a positive quantity such as "100Gi" or "500G"`,
			`--access-mode "ReadOnlyMany": use ReadWriteOnce, ReadWriteOncePod or ReadWriteMany`,
			`--all-devices -1: the count of devices that "all" stands for must be 1 or more`,
			`--device-resource amd.com/gpu=gpu: "gpu" is not an extended resource name such as "nvidia.com/gpu": it has no domain prefix ("vendor.com/")`,
			`--device-resource intel.com/gpu=kubernetes.io/gpu: "kubernetes.io/gpu" is not an extended resource name such as "nvidia.com/gpu": the kubernetes.io domain is reserved for native resources`,
			`--device-resource nvidia=nvidia.com/gpu: "nvidia" is neither a CDI kind such as "nvidia.com/gpu" nor a CDI name such as "nvidia.com/gpu=0"`,
		}, "\n")},
		{"size for a volume nobody mounts", richManifest(), Options{AllowHostPaths: true, VolumeSizes: map[string]string{"modles": "10Gi"}},
			`--volume-size modles=10Gi: no exported rune mounts a named volume "modles"`},

		{"secret name", manifestOf(stone("sd", "image", nil)), Options{Secrets: map[string][]SecretRef{"sd": {{Name: "HF_TOKEN", Type: SecretEnv}}}},
			`soulstone "sd" (soulstones/sd.toml:3): secret "HF_TOKEN": the name is not a valid Kubernetes Secret name (a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')); give the Podman secret a name of lower-case letters, digits, "-" and "."`},
		{"secret type", manifestOf(stone("sd", "image", nil)), Options{Secrets: map[string][]SecretRef{"sd": {{Name: "token", Type: "file"}}}},
			`soulstone "sd" (soulstones/sd.toml:3): secret "token": type "file"; use "env" or "mount"`},
		{"secret variable", manifestOf(stone("sd", "image", nil)), Options{Secrets: map[string][]SecretRef{"sd": {{Name: "token", Type: SecretEnv, Target: "1TOKEN"}}}},
			`soulstone "sd" (soulstones/sd.toml:3): secret "token": environment variable "1TOKEN": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`},
		{"secret file", manifestOf(stone("sd", "image", nil)), Options{Secrets: map[string][]SecretRef{"sd": {{Name: "token", Type: SecretMount, Target: "../etc/token"}}}},
			`soulstone "sd" (soulstones/sd.toml:3): secret "token": the file "../etc/token" is not a clean path to a file; write it as "/run/secrets/NAME" or an absolute path without ".."`},
		{"secret over a volume", manifestOf(stone("sd", "image", withVolumes("certs:/run/secrets/token"))), Options{Secrets: map[string][]SecretRef{"sd": {{Name: "token", Type: SecretMount}}}},
			`soulstone "sd" (soulstones/sd.toml:3): a secret and a volume both mount at "/run/secrets/token"; a container path can hold one mount`},
		{"secret of the Codex named as Podman allows", manifestOf(stone("sd", "image", withSecrets(model.Secret{Name: "HF_TOKEN", Type: "env", Target: "HF_TOKEN"}))), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): secret "HF_TOKEN": the name is not a valid Kubernetes Secret name (a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')); give the Podman secret a name of lower-case letters, digits, "-" and "."`},
		{"secret of the Codex at the secrets directory", manifestOf(stone("sd", "image", func(r *model.Rune) {
			r.Volumes = []string{"certs:/run/secrets"}
			r.Secrets = []model.Secret{{Name: "token", Type: "mount", Target: "/run/secrets"}}
		})), Options{},
			`soulstone "sd" (soulstones/sd.toml:3): secret "token": the file "/run/secrets" is not a clean path to a file; write it as "/run/secrets/NAME" or an absolute path without ".."`},
		{"secret for no rune", manifestOf(stone("sd", "image", nil)), Options{Secrets: map[string][]SecretRef{"ds": {{Name: "token", Type: SecretEnv}}}},
			`secrets for "ds": no rune has that name`},

		{"every refusal at once", manifestOf(
			stone("a", "x", withDevices("/dev/kfd", "nvidia.com/gpu=all")),
			stone("b", "x", withVolumes("/srv/b:/b", "models:/m:noexec"))), Options{},
			strings.Join([]string{
				`soulstone "a" (soulstones/a.toml:3): device "/dev/kfd": a host device path reaches a container on Kubernetes only in a privileged pod, which lychd does not write; give the device by its CDI name instead (e.g. "nvidia.com/gpu=all", "amd.com/gpu=all" or "intel.com/gpu=gpu0") so that the export requests the device plugin's resource`,
				`soulstone "b" (soulstones/b.toml:3): volume "/srv/b:/b": the host path "/srv/b" exists on this host only, and a pod may run on any node; keep the data in a named volume (it becomes a PersistentVolumeClaim), or pass --allow-host-paths if every node that may run it has "/srv/b"`,
				`soulstone "b" (soulstones/b.toml:3): volume "models:/m:noexec": the option "noexec" has no Kubernetes equivalent in the export (it carries ro and rw, and drops z, Z, U and nocopy); remove it`,
			}, "\n")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Export(c.m, c.opts)
			if err == nil {
				t.Fatalf("Export accepted it and returned %d objects; want the error\n%s", len(res.Objects), c.want)
			}
			if err.Error() != c.want {
				t.Errorf("got error\n%s\nwant\n%s", err, c.want)
			}
		})
	}
}

// TestRichManifestRefusedByDefault is the golden manifest under default
// options: its one host path is refused, nothing else.
func TestRichManifestRefusedByDefault(t *testing.T) {
	_, err := Export(richManifest(), Options{})
	want := `soulstone "kokoro" (soulstones/speech.toml:1): volume "/srv/voices:/voices:ro,Z": the host path "/srv/voices" exists on this host only, and a pod may run on any node; keep the data in a named volume (it becomes a PersistentVolumeClaim), or pass --allow-host-paths if every node that may run it has "/srv/voices"`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
