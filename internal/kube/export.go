package kube

import (
	"errors"
	"fmt"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/lychd/lychd/internal/covenant"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/preset"
)

// Label and annotation keys written on the exported objects.
const (
	// LabelRune carries the rune's name; Deployments and Services select
	// their pods by it.
	LabelRune = "lychd.io/rune"
	// LabelKind is "soulstone" or "core".
	LabelKind = "lychd.io/kind"
	// LabelManagedBy is the recommended Kubernetes label, set to "lychd".
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// CovenLabelPrefix starts the key of a coven label, set to "true" on
	// every member: coven.lychd.io/COVEN. See CovenLabel.
	CovenLabelPrefix = "coven.lychd.io/"
	// AnnotationSource says where the rune was defined (a Codex file and
	// line, an extension, or the core).
	AnnotationSource = "lychd.io/source"
	// AnnotationDescription is the well-known description annotation.
	AnnotationDescription = "kubernetes.io/description"
	// AnnotationPodmanVolume keeps the original Podman volume name on a
	// PersistentVolumeClaim whose name had to be changed.
	AnnotationPodmanVolume = "lychd.io/podman-volume"
)

// DefaultVolumeSize is the storage requested by a PersistentVolumeClaim when
// Options.VolumeSize is empty: room for the weights of a few large models.
const DefaultVolumeSize = "100Gi"

// managedBy is the value of LabelManagedBy.
const managedBy = "lychd"

// CovenLabel returns the label key that marks the members of coven, e.g.
// "coven.lychd.io/vision". Select them with
// "kubectl get deployments -l coven.lychd.io/vision".
func CovenLabel(coven string) string { return CovenLabelPrefix + coven }

// Options tune an export. The zero value exports every soulstone, refuses
// host paths and leaves the storage class to the cluster.
type Options struct {
	// Covens keeps only the soulstones of these covens; empty keeps all.
	Covens []string
	// IncludeCore exports the core runes too (see the package doc).
	IncludeCore bool
	// AllowHostPaths turns host-path volumes into hostPath volumes
	// instead of refusing them.
	AllowHostPaths bool
	// Home is the home directory that "%h" stands for on the cluster's
	// nodes; needed, with AllowHostPaths, for the core runes' volumes.
	Home string
	// Namespace is written into every object; empty leaves it to kubectl.
	Namespace string
	// StorageClass is the PersistentVolumeClaims' storage class; empty
	// uses the cluster's default.
	StorageClass string
	// AccessMode is the PersistentVolumeClaims' access mode:
	// ReadWriteOnce (when empty), ReadWriteOncePod or ReadWriteMany.
	AccessMode string
	// VolumeSize is the storage every PersistentVolumeClaim requests
	// (DefaultVolumeSize when empty); VolumeSizes overrides it per Podman
	// volume name.
	VolumeSize  string
	VolumeSizes map[string]string
	// DeviceResources maps a CDI kind ("vendor.com/class") or a full CDI
	// name ("nvidia.com/gpu=0:1") to the extended resource the cluster's
	// device plugin advertises for it. A full name wins over its kind, and
	// both win over the built-in table.
	DeviceResources map[string]string
	// AllDevices is the count requested for a CDI device named "all"
	// (1 when 0).
	AllDevices int
	// Secrets are more Podman secrets for runes to read, by rune name (see
	// SecretRef), after the secrets the manifest gives each rune.
	Secrets map[string][]SecretRef
	// Scale names the coven to run: Result.Scale lists the replica
	// counts that run it (see ScalePlan).
	Scale string
	// WriteReplicas writes the counts of Scale into the Deployments
	// instead of 0.
	WriteReplicas bool
}

// Object is an exported Kubernetes object.
type Object interface {
	metav1.Object
	runtime.Object
}

// Skipped is a rune the export left out, and why.
type Skipped struct {
	Rune   string
	Reason string
}

// Result is what Export returns.
type Result struct {
	// Objects are sorted by kind (PersistentVolumeClaim, Service,
	// Deployment: the order they are best applied in), then by name.
	Objects []Object
	// Skipped are the runes left out, sorted by name.
	Skipped []Skipped
	// Notes name what the export could not carry over to the cluster, one
	// sentence each, for the user to read.
	Notes []string
	// Scale holds the replica counts for Options.Scale.
	Scale []Scale

	namespace string
}

// exporter holds the state of one Export call.
type exporter struct {
	opts       Options
	graph      *covenant.Graph
	volumeSize resource.Quantity
	claims     map[string]*claim // by claim name
	// oneShots are the one-shot runes by service name; required are those
	// an exported rune requires (each becomes its init container).
	oneShots map[string]*model.Rune
	required map[string]bool
	errs     []error
	notes    []string
	// secretReaders are, for each Podman secret in the order first read,
	// the runes that read it (who), for one note per secret.
	secretReaders map[string][]string
	secretOrder   []string
}

// claim is a PersistentVolumeClaim shared by the runes that mount one named
// Podman volume.
type claim struct {
	name   string
	volume string
	// users are the runes that mount it, in export order.
	users []*model.Rune
}

// Export builds the Kubernetes objects for the soulstones (and, with
// Options.IncludeCore, the core runes) of m. Every refusal is reported; the
// error joins them, one per line.
func Export(m *model.Manifest, opts Options) (*Result, error) {
	e := &exporter{opts: opts, claims: map[string]*claim{}, oneShots: map[string]*model.Rune{}, required: map[string]bool{}}
	if err := e.checkOptions(); err != nil {
		return nil, err
	}
	g, err := covenant.Build(m.Runes, m.Alliances)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	e.graph = g
	if err := duplicateNames(m.Runes); err != nil {
		return nil, err
	}
	wanted, err := e.covenFilter()
	if err != nil {
		return nil, err
	}

	runes := append([]model.Rune(nil), m.Runes...)
	sort.Slice(runes, func(i, j int) bool { return runes[i].Name < runes[j].Name })
	res := &Result{namespace: opts.Namespace}
	var selected []*model.Rune
	for i := range runes {
		r := &runes[i]
		switch {
		case r.Kind == model.KindCore && !opts.IncludeCore:
			res.Skipped = append(res.Skipped, Skipped{Rune: r.Name, Reason: "a core rune: exported only with --core"})
		case r.Kind == model.KindOneShot:
			// An init container of each exported rune that requires it.
			e.oneShots[r.ServiceName()] = r
		case r.Kind == model.KindSoulstone && !r.Resident && wanted != nil && !inAny(r.Covens(), wanted):
			// A resident runs beside every coven: it goes with any.
			res.Skipped = append(res.Skipped, Skipped{Rune: r.Name, Reason: fmt.Sprintf("in %s %s, not among --coven %s",
				plural("coven", len(r.Covens())), strings.Join(r.Covens(), ", "), strings.Join(opts.Covens, ", "))})
		case r.Kind != model.KindCore && r.Kind != model.KindSoulstone:
			e.errs = append(e.errs, fmt.Errorf("%s: unknown rune kind %q; expected %q, %q or %q", who(r), r.Kind, model.KindSoulstone, model.KindCore, model.KindOneShot))
		default:
			selected = append(selected, r)
		}
	}
	for name := range opts.Secrets {
		if !hasRune(runes, name) {
			e.errs = append(e.errs, fmt.Errorf("secrets for %q: no rune has that name", name))
		}
	}

	var replicas map[string]int32
	if opts.Scale != "" {
		plan, err := ScalePlan(g, runes, selected, opts.Scale)
		if err != nil {
			return nil, err
		}
		res.Scale = plan
		if opts.WriteReplicas {
			replicas = map[string]int32{}
			for _, s := range plan {
				replicas[s.Deployment] = s.Replicas
			}
		}
	}

	var deployments, services []Object
	for _, r := range selected {
		d, svc := e.rune(r, replicas[r.Name])
		if d != nil {
			deployments = append(deployments, d)
		}
		if svc != nil {
			services = append(services, svc)
		}
	}
	for _, r := range runes {
		if r.Kind != model.KindOneShot || e.required[r.Name] {
			continue
		}
		reason := "a one-shot that no exported rune requires"
		if r.Source.Kind == model.SourceCore && !opts.IncludeCore {
			reason = "a core rune: exported only with --core"
		}
		res.Skipped = append(res.Skipped, Skipped{Rune: r.Name, Reason: reason})
	}
	sort.SliceStable(res.Skipped, func(i, j int) bool { return res.Skipped[i].Rune < res.Skipped[j].Rune })
	e.checkVolumeSizes()
	if len(e.errs) > 0 {
		return nil, errors.Join(e.errs...)
	}

	var claims []Object
	for _, name := range sortedKeys(e.claims) {
		pvc, err := e.pvc(e.claims[name])
		if err != nil {
			return nil, err
		}
		claims = append(claims, pvc)
		e.sharedClaimNote(e.claims[name])
	}
	res.Objects = append(append(claims, services...), deployments...)
	for _, o := range res.Objects {
		if err := Check(o); err != nil {
			return nil, err
		}
	}
	if len(m.Pod.Publish) > 0 {
		e.notes = append(e.notes, fmt.Sprintf("the pod's extra published ports (%s) are not exported: a cluster publishes through Services and Ingresses", strings.Join(m.Pod.Publish, ", ")))
	}
	res.Notes = append(e.notes, e.secretNotes()...)
	return res, nil
}

// secretNotes says, once per Podman secret, who reads it and how to
// create it on the cluster.
func (e *exporter) secretNotes() []string {
	ns := ""
	if e.opts.Namespace != "" {
		ns = " --namespace=" + e.opts.Namespace
	}
	var out []string
	for _, name := range e.secretOrder {
		readers := e.secretReaders[name]
		create := fmt.Sprintf("create it on the cluster with \"kubectl create secret generic %s --from-file=%s=FILE%s\"", name, SecretKey, ns)
		if len(readers) == 1 {
			out = append(out, fmt.Sprintf("%s reads the Podman secret %q: %s", readers[0], name, create))
			continue
		}
		out = append(out, fmt.Sprintf("the Podman secret %q is read by %s and %s: %s", name, strings.Join(readers[:len(readers)-1], ", "), readers[len(readers)-1], create))
	}
	return out
}

// checkOptions refuses options that cannot be used, before anything is
// built.
func (e *exporter) checkOptions() error {
	o := &e.opts
	var errs []error
	if o.Home != "" && (!path.IsAbs(o.Home) || path.Clean(o.Home) != o.Home) {
		errs = append(errs, fmt.Errorf("--home %q: write the home directory as a clean absolute path, e.g. \"/home/magus\"", o.Home))
	}
	if o.Namespace != "" {
		if msgs := validation.IsDNS1123Label(o.Namespace); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("--namespace %q is not a valid namespace name: %s", o.Namespace, strings.Join(msgs, "; ")))
		}
	}
	if o.StorageClass != "" {
		if msgs := validation.IsDNS1123Subdomain(o.StorageClass); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("--storage-class %q is not a valid storage class name: %s", o.StorageClass, strings.Join(msgs, "; ")))
		}
	}
	size := o.VolumeSize
	if size == "" {
		size = DefaultVolumeSize
	}
	q, err := parseSize("--volume-size", size)
	if err != nil {
		errs = append(errs, err)
	}
	e.volumeSize = q
	for _, name := range sortedKeys(o.VolumeSizes) {
		if _, err := parseSize(fmt.Sprintf("--volume-size %s=", name), o.VolumeSizes[name]); err != nil {
			errs = append(errs, err)
		}
	}
	switch corev1.PersistentVolumeAccessMode(o.AccessMode) {
	case "":
		o.AccessMode = string(corev1.ReadWriteOnce)
	case corev1.ReadWriteOnce, corev1.ReadWriteOncePod, corev1.ReadWriteMany:
	default:
		errs = append(errs, fmt.Errorf("--access-mode %q: use ReadWriteOnce, ReadWriteOncePod or ReadWriteMany", o.AccessMode))
	}
	if o.AllDevices < 0 {
		errs = append(errs, fmt.Errorf("--all-devices %d: the count of devices that \"all\" stands for must be 1 or more", o.AllDevices))
	}
	if o.AllDevices == 0 {
		o.AllDevices = 1
	}
	for _, key := range sortedKeys(o.DeviceResources) {
		if err := checkDeviceResource(key, o.DeviceResources[key]); err != nil {
			errs = append(errs, err)
		}
	}
	if o.WriteReplicas && o.Scale == "" {
		errs = append(errs, errors.New("writing replica counts needs the coven to run: pass --scale COVEN"))
	}
	return errors.Join(errs...)
}

func parseSize(what, s string) (resource.Quantity, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil || q.Sign() <= 0 {
		return resource.Quantity{}, fmt.Errorf("%s%q is not a storage size; write a positive quantity such as \"100Gi\" or \"500G\"", spaceUnlessEq(what), s)
	}
	return q, nil
}

func spaceUnlessEq(what string) string {
	if strings.HasSuffix(what, "=") {
		return what
	}
	return what + " "
}

// checkVolumeSizes refuses sizes for volumes no exported rune mounts: a
// misspelt name would otherwise be ignored.
func (e *exporter) checkVolumeSizes() {
	mounted := map[string]bool{}
	for _, c := range e.claims {
		mounted[c.volume] = true
	}
	for _, name := range sortedKeys(e.opts.VolumeSizes) {
		if !mounted[name] {
			e.errs = append(e.errs, fmt.Errorf("--volume-size %s=%s: no exported rune mounts a named volume %q", name, e.opts.VolumeSizes[name], name))
		}
	}
}

// covenFilter returns the set of covens Options.Covens keeps, or nil when
// it keeps everything.
func (e *exporter) covenFilter() (map[string]bool, error) {
	if len(e.opts.Covens) == 0 {
		return nil, nil
	}
	wanted := map[string]bool{}
	var unknown []string
	for _, c := range e.opts.Covens {
		if e.graph.Coven(c) == nil {
			unknown = append(unknown, c)
		}
		wanted[c] = true
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("--coven %s: no soulstone belongs to %s (known covens: %s)",
			strings.Join(unknown, ", "), plural("that coven", len(unknown)), knownCovens(e.graph))
	}
	return wanted, nil
}

func knownCovens(g *covenant.Graph) string {
	var names []string
	for _, c := range g.Covens() {
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// rune builds the Deployment and Service of one rune. Refusals go to e.errs.
func (e *exporter) rune(r *model.Rune, scaled int32) (*appsv1.Deployment, *corev1.Service) {
	before := len(e.errs)
	if msgs := validation.IsDNS1035Label(r.Name); len(msgs) > 0 {
		e.errs = append(e.errs, fmt.Errorf("%s: the name is not a valid Kubernetes object name (%s); lychd names are 1 to 63 lower-case letters, digits and \"-\", starting with a letter", who(r), strings.Join(msgs, "; ")))
		return nil, nil
	}
	if r.Image == "" {
		e.errs = append(e.errs, fmt.Errorf("%s: no image", who(r)))
	}
	if r.Port < 0 || r.Port > 65535 {
		e.errs = append(e.errs, fmt.Errorf("%s: port %d is out of range 1-65535", who(r), r.Port))
	}

	labels := runeLabels(r)
	selector := map[string]string{LabelRune: r.Name}
	annotations := map[string]string{}
	if r.Source.Kind != "" {
		annotations[AnnotationSource] = r.Source.String()
	}
	if r.Description != "" {
		annotations[AnnotationDescription] = r.Description
	}
	if len(annotations) == 0 {
		annotations = nil
	}

	c := e.container(r)
	if r.Port > 0 {
		c.Ports = []corev1.ContainerPort{{ContainerPort: int32(r.Port)}}
	}
	limits, errs := e.devices(r)
	e.errs = append(e.errs, errs...)
	if len(limits) > 0 {
		c.Resources.Limits = limits
	}
	pod := corev1.PodSpec{}
	e.volumes(r, &c, &pod)
	e.secrets(r, &c, &pod)
	e.resources(r, &c, &pod)
	pod.Containers = []corev1.Container{c}
	e.initContainers(r, &pod)
	if len(e.errs) > before {
		return nil, nil
	}

	var count int32
	if r.AlwaysOn() {
		count = 1
	} else if e.opts.WriteReplicas {
		count = scaled
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: e.meta(r.Name, labels, annotations),
		Spec: appsv1.DeploymentSpec{
			Replicas: &count,
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: runeLabels(r)},
				Spec:       pod,
			},
		},
	}
	if r.StartTimeout > 0 {
		secs := int32((r.StartTimeout + 999_999_999) / 1_000_000_000)
		d.Spec.ProgressDeadlineSeconds = &secs
	}
	e.runeNotes(r)
	if r.Port == 0 {
		return d, nil
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: e.meta(r.Name, runeLabels(r), nil),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: selector,
			Ports: []corev1.ServicePort{{
				Port:       int32(r.Port),
				TargetPort: intstr.FromInt32(int32(r.Port)),
			}},
		},
	}
	return d, svc
}

// container is r's container: its image, its exec arguments (args: the
// image's entrypoint stays) and its environment.
func (e *exporter) container(r *model.Rune) corev1.Container {
	c := corev1.Container{Name: r.Name, Image: r.Image}
	for _, a := range r.Exec {
		c.Args = append(c.Args, escapeExpansion(a))
	}
	for _, env := range r.Environment {
		if msgs := validation.IsEnvVarName(env.Name); len(msgs) > 0 {
			e.errs = append(e.errs, fmt.Errorf("%s: environment variable %q: %s", who(r), env.Name, strings.Join(msgs, "; ")))
			continue
		}
		value := env.Value
		if r.Source.Kind == model.SourceCore && strings.HasPrefix(value, homeSpecifier) {
			// The core's units write %h in its environment (the Vessel's
			// HOME and XDG directories), as in its volumes.
			if e.opts.Home == "" {
				e.errs = append(e.errs, fmt.Errorf("%s: environment variable %s=%s starts with %q, the systemd specifier of the user's home directory, which has no value on a cluster; pass --home DIR with the home directory these paths have on the nodes", who(r), env.Name, value, homeSpecifier))
				continue
			}
			value = path.Join(e.opts.Home, strings.TrimPrefix(value, homeSpecifier))
		}
		c.Env = append(c.Env, corev1.EnvVar{Name: env.Name, Value: escapeExpansion(value)})
	}
	return c
}

// initContainers makes each one-shot r requires an init container of
// r's pod, in r's Requires= order: Kubernetes runs it to completion
// before r's container starts, and again whenever the pod is recreated,
// as systemd runs the one-shot before every start of r. Its volumes and
// secrets join the pod's; one the pod already has (the same source) is
// shared, any other gets a name of its own.
func (e *exporter) initContainers(r *model.Rune, pod *corev1.PodSpec) {
	for _, u := range r.Requires {
		o := e.oneShots[u]
		if o == nil {
			continue
		}
		e.required[o.Name] = true
		c := e.container(o)
		var own corev1.PodSpec
		e.volumes(o, &c, &own)
		e.secrets(o, &c, &own)
		// A claim the one-shot mounts is used by r's pod, not by a pod of
		// its own.
		for _, cl := range e.claims {
			if i := slices.Index(cl.users, o); i >= 0 {
				cl.users = slices.Delete(cl.users, i, i+1)
				if !slices.Contains(cl.users, r) {
					cl.users = append(cl.users, r)
				}
			}
		}
		rename := map[string]string{}
		for _, v := range own.Volumes {
			if have := sameVolume(pod.Volumes, v); have != "" {
				rename[v.Name] = have
				continue
			}
			name := fmt.Sprintf("init-%d-%s", len(pod.InitContainers), v.Name)
			rename[v.Name] = name
			v.Name = name
			pod.Volumes = append(pod.Volumes, v)
		}
		for i := range c.VolumeMounts {
			c.VolumeMounts[i].Name = rename[c.VolumeMounts[i].Name]
		}
		pod.InitContainers = append(pod.InitContainers, c)
	}
}

// sameVolume returns the name of the volume of vols with v's source, or "".
func sameVolume(vols []corev1.Volume, v corev1.Volume) string {
	for _, have := range vols {
		if reflect.DeepEqual(have.VolumeSource, v.VolumeSource) {
			return have.Name
		}
	}
	return ""
}

// resources carries the rune's memory limit (resources.limits.memory), its
// shared memory (a memory-backed emptyDir at /dev/shm of that size: each
// Kubernetes pod has its own) and its health check (a startup probe that
// allows the start period, then a readiness probe: the Service sends
// traffic only to a ready model).
func (e *exporter) resources(r *model.Rune, c *corev1.Container, pod *corev1.PodSpec) {
	if r.Memory != "" {
		n, err := preset.ShmBytes(r.Memory)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s: memory: %w", who(r), err))
		} else {
			if c.Resources.Limits == nil {
				c.Resources.Limits = corev1.ResourceList{}
			}
			c.Resources.Limits[corev1.ResourceMemory] = *resource.NewQuantity(n, resource.BinarySI)
		}
	}
	if r.ShmSize != "" {
		n, err := preset.ShmBytes(r.ShmSize)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("%s: shm_size: %w", who(r), err))
		} else {
			size := resource.NewQuantity(n, resource.BinarySI)
			pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "lychd-dev-shm", VolumeSource: corev1.VolumeSource{
				EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: size}}})
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "lychd-dev-shm", MountPath: "/dev/shm"})
		}
	}
	if len(r.HealthCmd) == 0 {
		return
	}
	secs := func(d time.Duration, def int32) int32 {
		if d <= 0 {
			return def
		}
		return int32((d + time.Second - 1) / time.Second)
	}
	period := secs(r.HealthInterval, 10)
	timeout := secs(r.HealthTimeout, 1)
	retries := int32(r.HealthRetries)
	if retries <= 0 {
		retries = 3
	}
	handler := corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: append([]string(nil), r.HealthCmd...)}}
	c.ReadinessProbe = &corev1.Probe{ProbeHandler: handler, PeriodSeconds: period, TimeoutSeconds: timeout, FailureThreshold: retries}
	if r.HealthStartPeriod > 0 {
		c.StartupProbe = &corev1.Probe{ProbeHandler: handler, PeriodSeconds: period, TimeoutSeconds: timeout,
			FailureThreshold: max(1, (secs(r.HealthStartPeriod, 0)+period-1)/period)}
	}
}

// sharedClaimNote warns when runes that may run at the same time share a
// claim whose access mode ties them to one node.
func (e *exporter) sharedClaimNote(c *claim) {
	if e.opts.AccessMode == string(corev1.ReadWriteMany) {
		return
	}
	var together []string
	for i, a := range c.users {
		for _, b := range c.users[i+1:] {
			if e.graph.Compatible(a.Name, b.Name) {
				together = append(together, a.Name, b.Name)
			}
		}
	}
	if len(together) == 0 {
		return
	}
	sort.Strings(together)
	together = dedup(together)
	switch corev1.PersistentVolumeAccessMode(e.opts.AccessMode) {
	case corev1.ReadWriteOncePod:
		e.notes = append(e.notes, fmt.Sprintf("the PersistentVolumeClaim %q is mounted by %s, which may run at the same time, but ReadWriteOncePod lets one pod at a time use it; use --access-mode ReadWriteMany with a storage class that offers it", c.name, strings.Join(together, ", ")))
	default:
		e.notes = append(e.notes, fmt.Sprintf("the PersistentVolumeClaim %q is mounted by %s, which may run at the same time: with ReadWriteOnce their pods must share a node; use --access-mode ReadWriteMany with a storage class that offers it to lift that", c.name, strings.Join(together, ", ")))
	}
}

// runeNotes records what of r the export cannot carry.
func (e *exporter) runeNotes(r *model.Rune) {
	if r.ExposePort && r.Port > 0 {
		e.notes = append(e.notes, fmt.Sprintf("%s: port %d is published on this host; on the cluster its Service is reachable inside the cluster only (expose it with an Ingress or kubectl port-forward)", who(r), r.Port))
	}
	var deps []string
	for _, list := range [][]string{r.After, r.Wants, r.Requires} {
		for _, u := range list {
			if o := e.oneShots[u]; o != nil && slices.Contains(r.Requires, u) {
				continue // an init container of r's pod
			}
			deps = append(deps, u)
		}
	}
	if len(deps) > 0 {
		sort.Strings(deps)
		deps = dedup(deps)
		e.notes = append(e.notes, fmt.Sprintf("%s: the start order and dependencies on %s are not exported: Kubernetes starts pods independently (--scale still starts what it wants and requires)", who(r), strings.Join(deps, ", ")))
	}
}

func (e *exporter) meta(name string, labels, annotations map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: e.opts.Namespace, Labels: labels, Annotations: annotations}
}

func runeLabels(r *model.Rune) map[string]string {
	labels := map[string]string{
		LabelRune:      r.Name,
		LabelKind:      string(r.Kind),
		LabelManagedBy: managedBy,
	}
	for _, c := range r.Covens() {
		labels[CovenLabel(c)] = "true"
	}
	return labels
}

func (e *exporter) pvc(c *claim) (*corev1.PersistentVolumeClaim, error) {
	size := e.volumeSize
	if s, ok := e.opts.VolumeSizes[c.volume]; ok {
		size = resource.MustParse(s) // checked in checkOptions
	}
	var annotations map[string]string
	if c.name != c.volume {
		annotations = map[string]string{AnnotationPodmanVolume: c.volume}
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: e.meta(c.name, map[string]string{LabelManagedBy: managedBy}, annotations),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.PersistentVolumeAccessMode(e.opts.AccessMode)},
			Resources: corev1.VolumeResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceStorage: size},
			},
		},
	}
	if e.opts.StorageClass != "" {
		sc := e.opts.StorageClass
		pvc.Spec.StorageClassName = &sc
	}
	return pvc, nil
}

// escapeExpansion keeps a value literal under Kubernetes' expansion of env
// values, command and args, which reads "$(VAR)" as a reference and "$$" as
// "$": it doubles each "$" that a "(" or another "$" follows, and only
// those. Any other "$" passes through expansion unchanged, so a value such
// as "$HOME" stays as written; this matters under podman kube play, which
// expands command and args but not env values.
func escapeExpansion(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '$' && i+1 < len(s) && (s[i+1] == '$' || s[i+1] == '(') {
			b.WriteByte('$')
		}
	}
	return b.String()
}

// who names a rune in messages: `soulstone "vllm" (soulstones/c.toml:1)`.
func who(r *model.Rune) string {
	kind := "soulstone"
	switch r.Kind {
	case model.KindCore:
		kind = "core rune"
	case model.KindOneShot:
		kind = "one-shot"
	}
	s := fmt.Sprintf("%s %q", kind, r.Name)
	if r.Source.Kind != "" && r.Source.Kind != model.SourceCore {
		s += " (" + r.Source.String() + ")"
	}
	return s
}

func duplicateNames(runes []model.Rune) error {
	seen := map[string]bool{}
	var dups []string
	for _, r := range runes {
		if seen[r.Name] {
			dups = append(dups, r.Name)
		}
		seen[r.Name] = true
	}
	if len(dups) == 0 {
		return nil
	}
	sort.Strings(dups)
	return fmt.Errorf("export: more than one rune is named %s; every rune needs its own name, which becomes its Deployment's name", strings.Join(dedup(dups), ", "))
}

func inAny(covens []string, wanted map[string]bool) bool {
	for _, c := range covens {
		if wanted[c] {
			return true
		}
	}
	return false
}

func hasRune(runes []model.Rune, name string) bool {
	for _, r := range runes {
		if r.Name == name {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func dedup(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func plural(word string, n int) string {
	if n == 1 {
		return word
	}
	switch word {
	case "that coven":
		return "those covens"
	case "its coven":
		return "their covens"
	}
	return word + "s"
}
