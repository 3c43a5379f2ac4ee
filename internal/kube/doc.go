// Package kube turns a bound manifest into Kubernetes objects, for users who
// outgrow one GPU host and run their soulstones on a cluster.
//
// Export builds the objects with the official API types (k8s.io/api) and
// Marshal, Stream and Files serialize them with sigs.k8s.io/yaml; nothing is
// written from text templates. Every object is checked with the validators
// of k8s.io/apimachinery before it is returned.
//
// # What a soulstone becomes
//
//   - A Deployment named after the soulstone, with replicas 0, so applying the
//     export starts nothing; strategy Recreate, so an update never holds two
//     pods (and two GPUs) at once. The container keeps the image, the exec
//     arguments (as args: the image's entrypoint stays), the environment in
//     its order, and the port. Kubernetes expands "$(VAR)" and "$$" in values
//     and arguments while lychd's are literal, so a "$" before "(" or "$"
//     is doubled. A start timeout becomes progressDeadlineSeconds. A memory
//     limit becomes resources.limits.memory; shared memory (shm_size) a
//     memory-backed emptyDir of that size at /dev/shm (each Kubernetes pod
//     has its own); a health check a readinessProbe running the same
//     command (interval, timeout, retries) and, with a start period, a
//     startupProbe that allows it. A resident soulstone gets replicas 1,
//     like a core rune.
//   - A ClusterIP Service on its port, selecting the pod by the lychd.io/rune
//     label. A rune without a port gets no Service. Publishing on the host
//     (expose_port) is not carried: the cluster's Ingress does that.
//   - Labels: lychd.io/rune (the name), lychd.io/kind (soulstone or core),
//     app.kubernetes.io/managed-by=lychd and one coven.lychd.io/COVEN="true"
//     per coven, on the Deployment and on its pod template. Annotations:
//     lychd.io/source (where the rune was defined) and
//     kubernetes.io/description.
//
// # One-shots
//
// A one-shot rune (a task run to completion before the units that require
// it, such as the core's migrate) is not a Deployment of its own: it
// becomes an init container of the pod of each exported rune that names
// its service in Requires=, with its image, arguments, environment,
// volumes and secrets (a volume or secret the pod already has is shared).
// Kubernetes runs it to completion before the rune's container, again
// whenever the pod is recreated, as systemd runs it before every start.
// A one-shot no exported rune requires is skipped, and a core one-shot
// needs Options.IncludeCore like the other core runes. Running as the host
// user (HostUser) is not carried: the host user's ids mean nothing on a
// cluster.
//
// # Devices
//
// A CDI device becomes a resources.limits entry of the device plugin's
// extended resource: nvidia.com/gpu=... -> nvidia.com/gpu, amd.com/gpu=... ->
// amd.com/gpu, intel.com/gpu=... -> gpu.intel.com/i915 (clusters whose nodes
// run the xe driver map intel.com/gpu to gpu.intel.com/xe through
// Options.DeviceResources). The count per resource is the number of distinct
// devices named; a device named "all" counts Options.AllDevices (default 1),
// since "every GPU of the node" has no meaning before the scheduler picks a
// node. Which GPU is lost: the scheduler chooses. NVIDIA MIG devices
// ("nvidia.com/gpu=0:1", "MIG-...") and unknown vendors are refused unless
// Options.DeviceResources names their resource. Host device paths
// (/dev/...) are always refused: without a device plugin a container reaches
// a device node only when privileged, and lychd does not write privileged
// pods.
//
// # Volumes
//
// A named Podman volume becomes a PersistentVolumeClaim of the same name
// (Options.AccessMode, ReadWriteOnce by default; Options.VolumeSize or
// DefaultVolumeSize; the cluster's default storage class unless
// Options.StorageClass), shared by every rune that mounts it. Runes that may
// run at the same time and share a ReadWriteOnce claim must share a node:
// Result.Notes says so. A name that is not a valid object name is lower-cased,
// every other invalid character becomes "-", and a hash of the original
// name is appended; the original stays in the lychd.io/podman-volume
// annotation. Under podman kube play the claim name is the Podman volume
// name, so a valid name reuses the volume the host already has. Host paths
// are refused unless Options.AllowHostPaths; "%h" (the systemd home
// specifier of core runes, in their volumes and at the start of their
// environment values) also needs Options.Home and is never written
// literally. The options ro and rw set readOnly; z, Z, U and nocopy have no
// effect on a cluster and are dropped; every other option is refused.
//
// # Secrets
//
// A rune's Podman secrets (model.Rune.Secrets, and Options.Secrets) are
// exported as references, never values: lychd never reads a secret's value.
// Each refers to a Kubernetes Secret of the Podman secret's name that the
// user creates, holding the value under the key SecretKey ("value"). A
// secret of type env becomes an environment variable read through
// secretKeyRef; a mounted secret becomes a secret volume whose key is
// mounted read-only at the same file as under Podman (/run/secrets/NAME
// by default). Result.Notes gives the kubectl command that creates each
// Secret. A Podman secret name that is not a valid Kubernetes object name
// (upper-case letters, "_") is refused.
//
// # Core runes
//
// Core runes (the Vessel, the Phylactery, the Oculus) are not exported unless
// Options.IncludeCore: the Vessel starts and stops soulstones through the
// host's systemd, which a cluster does not have; every core volume is a host
// path under the user's home; and the Phylactery trusts every client that
// reaches its port, which lychd.pod keeps private to the host. Result.Skipped
// names them. With IncludeCore they become Deployments with replicas 1.
//
// # podman kube play
//
// Podman 5.4 plays the export on one host, which is how it can be tried
// without a cluster. Each Deployment becomes a pod NAME-pod running the
// container NAME-pod-NAME whatever its replica count: Podman ignores
// replicas and starts one pod (none with --start=false). A
// PersistentVolumeClaim becomes the Podman volume of its name. Services and
// extended-resource limits are ignored, so a played soulstone gets no GPU.
// Command and args are expanded as on Kubernetes; env values are not, so a
// value holding "$(" or "$$" keeps its doubled "$" there.
// Secret references resolve from the Podman secrets that podman kube play
// makes of Secret objects of the same names holding the key SecretKey,
// played before the export.
//
// # Covens on a cluster
//
// Kubernetes knows nothing of covens: hostile soulstones can run at the same
// time on different nodes. Only the GPU limits keep them from sharing a GPU.
// Options.Scale names the coven to run: Result.Scale then lists the
// "kubectl scale" commands that stop every exported soulstone hostile to it
// and start its members (and the soulstones they want or require), and
// Options.WriteReplicas writes those counts into the Deployments instead.
package kube
