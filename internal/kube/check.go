package kube

import (
	"fmt"
	"path"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Check validates an exported object with the validators that
// k8s.io/apimachinery offers (object names, labels, annotations, label
// selectors, DNS names, ports, environment variable names, quantities) and
// the API server's rules for the fields the export writes (unique volume
// and container names, mounts of declared volumes at distinct paths, whole
// counts of extended resources, a selector that matches the pod template).
// The API server's full PodSpec validation lives in k8s.io/kubernetes, which
// is not meant to be imported.
func Check(o Object) error {
	var errs field.ErrorList
	switch obj := o.(type) {
	case *appsv1.Deployment:
		errs = checkDeployment(obj)
	case *corev1.Service:
		errs = checkService(obj)
	case *corev1.PersistentVolumeClaim:
		errs = checkClaim(obj)
	default:
		return fmt.Errorf("check %s: the export writes no object of this kind", describe(o))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s is not a valid Kubernetes object: %w", describe(o), errs.ToAggregate())
	}
	return nil
}

func checkMeta(meta *metav1.ObjectMeta, nameFn apivalidation.ValidateNameFunc) field.ErrorList {
	return apivalidation.ValidateObjectMeta(meta, meta.Namespace != "", nameFn, field.NewPath("metadata"))
}

func checkDeployment(d *appsv1.Deployment) field.ErrorList {
	errs := checkMeta(&d.ObjectMeta, apivalidation.NameIsDNSSubdomain)
	spec := field.NewPath("spec")
	if d.Spec.Replicas == nil {
		errs = append(errs, field.Required(spec.Child("replicas"), "an unset count means 1 on a cluster"))
	} else {
		errs = append(errs, apivalidation.ValidateNonnegativeField(int64(*d.Spec.Replicas), spec.Child("replicas"))...)
	}
	if d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds <= 0 {
		errs = append(errs, field.Invalid(spec.Child("progressDeadlineSeconds"), *d.Spec.ProgressDeadlineSeconds, "must be positive"))
	}
	switch d.Spec.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType:
	default:
		errs = append(errs, field.NotSupported(spec.Child("strategy", "type"), d.Spec.Strategy.Type, []string{string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)}))
	}
	tmpl := spec.Child("template")
	errs = append(errs, metavalidation.ValidateLabels(d.Spec.Template.Labels, tmpl.Child("metadata", "labels"))...)
	sel := spec.Child("selector")
	if d.Spec.Selector == nil || len(d.Spec.Selector.MatchLabels)+len(d.Spec.Selector.MatchExpressions) == 0 {
		errs = append(errs, field.Required(sel, "a Deployment needs a non-empty selector"))
	} else {
		errs = append(errs, metavalidation.ValidateLabelSelector(d.Spec.Selector, metavalidation.LabelSelectorValidationOptions{}, sel)...)
		if s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err != nil {
			errs = append(errs, field.Invalid(sel, d.Spec.Selector, err.Error()))
		} else if !s.Matches(labels.Set(d.Spec.Template.Labels)) {
			errs = append(errs, field.Invalid(tmpl.Child("metadata", "labels"), d.Spec.Template.Labels, "`selector` does not match template `labels`"))
		}
	}
	if p := d.Spec.Template.Spec.RestartPolicy; p != "" && p != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tmpl.Child("spec", "restartPolicy"), p, []string{string(corev1.RestartPolicyAlways)}))
	}
	return append(errs, checkPodSpec(&d.Spec.Template.Spec, tmpl.Child("spec"))...)
}

func checkPodSpec(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	volumes := map[string]bool{}
	for i, v := range spec.Volumes {
		vp := p.Child("volumes").Index(i)
		errs = append(errs, dnsLabel(vp.Child("name"), v.Name)...)
		if volumes[v.Name] {
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		}
		volumes[v.Name] = true
		sources := 0
		if hp := v.HostPath; hp != nil {
			sources++
			if !path.IsAbs(hp.Path) || strings.Contains(hp.Path, "%") {
				errs = append(errs, field.Invalid(vp.Child("hostPath", "path"), hp.Path, "must be an absolute path without systemd specifiers"))
			}
		}
		if c := v.PersistentVolumeClaim; c != nil {
			sources++
			errs = append(errs, dnsSubdomain(vp.Child("persistentVolumeClaim", "claimName"), c.ClaimName)...)
		}
		if s := v.Secret; s != nil {
			sources++
			errs = append(errs, dnsSubdomain(vp.Child("secret", "secretName"), s.SecretName)...)
		}
		if ed := v.EmptyDir; ed != nil {
			sources++
			if ed.Medium != corev1.StorageMediumMemory || ed.SizeLimit == nil || ed.SizeLimit.Sign() <= 0 {
				errs = append(errs, field.Invalid(vp.Child("emptyDir"), v.Name, "must be memory-backed with a positive size limit (shared memory)"))
			}
		}
		if sources != 1 {
			errs = append(errs, field.Invalid(vp, v.Name, "must have exactly one of hostPath, persistentVolumeClaim, secret and emptyDir"))
		}
	}
	if len(spec.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), "a pod needs a container"))
	}
	names := map[string]bool{}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		cp := p.Child("containers").Index(i)
		errs = append(errs, dnsLabel(cp.Child("name"), c.Name)...)
		if names[c.Name] {
			errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
		}
		names[c.Name] = true
		if strings.TrimSpace(c.Image) == "" {
			errs = append(errs, field.Required(cp.Child("image"), ""))
		}
		for j, port := range c.Ports {
			for _, msg := range validation.IsValidPortNum(int(port.ContainerPort)) {
				errs = append(errs, field.Invalid(cp.Child("ports").Index(j).Child("containerPort"), port.ContainerPort, msg))
			}
		}
		for j, env := range c.Env {
			ep := cp.Child("env").Index(j)
			for _, msg := range validation.IsEnvVarName(env.Name) {
				errs = append(errs, field.Invalid(ep.Child("name"), env.Name, msg))
			}
			if env.ValueFrom != nil {
				ref := env.ValueFrom.SecretKeyRef
				if env.Value != "" || ref == nil {
					errs = append(errs, field.Invalid(ep, env.Name, "must have either value or valueFrom.secretKeyRef"))
					continue
				}
				errs = append(errs, dnsSubdomain(ep.Child("valueFrom", "secretKeyRef", "name"), ref.Name)...)
				for _, msg := range validation.IsConfigMapKey(ref.Key) {
					errs = append(errs, field.Invalid(ep.Child("valueFrom", "secretKeyRef", "key"), ref.Key, msg))
				}
			}
		}
		mounts := map[string]bool{}
		for j, m := range c.VolumeMounts {
			mp := cp.Child("volumeMounts").Index(j)
			if !volumes[m.Name] {
				errs = append(errs, field.NotFound(mp.Child("name"), m.Name))
			}
			if !path.IsAbs(m.MountPath) || strings.Contains(m.MountPath, "%") {
				errs = append(errs, field.Invalid(mp.Child("mountPath"), m.MountPath, "must be an absolute path without systemd specifiers"))
			}
			if mounts[m.MountPath] {
				errs = append(errs, field.Invalid(mp.Child("mountPath"), m.MountPath, "must be unique"))
			}
			mounts[m.MountPath] = true
			if m.SubPath != "" && (path.IsAbs(m.SubPath) || strings.Contains(m.SubPath, "..")) {
				errs = append(errs, field.Invalid(mp.Child("subPath"), m.SubPath, "must be a relative path without \"..\""))
			}
		}
		for name, q := range c.Resources.Limits {
			rp := cp.Child("resources", "limits").Key(string(name))
			if name == corev1.ResourceMemory {
				if q.Sign() <= 0 {
					errs = append(errs, field.Invalid(rp, q.String(), "a memory limit must be positive"))
				}
				continue
			}
			if msg := extendedResourceProblem(string(name)); msg != "" {
				errs = append(errs, field.Invalid(rp, string(name), msg))
			}
			if q.Sign() <= 0 || q.MilliValue()%1000 != 0 {
				errs = append(errs, field.Invalid(rp, q.String(), "an extended resource must be a positive whole number"))
			}
		}
		if len(c.Resources.Requests) > 0 {
			errs = append(errs, field.Forbidden(cp.Child("resources", "requests"), "the export sets limits only; requests of extended resources default to them"))
		}
	}
	return errs
}

func checkService(s *corev1.Service) field.ErrorList {
	errs := checkMeta(&s.ObjectMeta, apivalidation.NameIsDNS1035Label)
	spec := field.NewPath("spec")
	if s.Spec.Type != corev1.ServiceTypeClusterIP {
		errs = append(errs, field.NotSupported(spec.Child("type"), s.Spec.Type, []string{string(corev1.ServiceTypeClusterIP)}))
	}
	errs = append(errs, metavalidation.ValidateLabels(s.Spec.Selector, spec.Child("selector"))...)
	if len(s.Spec.Selector) == 0 {
		errs = append(errs, field.Required(spec.Child("selector"), "a Service of the export selects its rune's pod"))
	}
	if len(s.Spec.Ports) == 0 {
		errs = append(errs, field.Required(spec.Child("ports"), ""))
	}
	for i, port := range s.Spec.Ports {
		pp := spec.Child("ports").Index(i)
		for _, msg := range validation.IsValidPortNum(int(port.Port)) {
			errs = append(errs, field.Invalid(pp.Child("port"), port.Port, msg))
		}
		if port.TargetPort.Type != intstr.Int {
			errs = append(errs, field.Invalid(pp.Child("targetPort"), port.TargetPort.String(), "the export targets a port number"))
		} else {
			for _, msg := range validation.IsValidPortNum(port.TargetPort.IntValue()) {
				errs = append(errs, field.Invalid(pp.Child("targetPort"), port.TargetPort.IntValue(), msg))
			}
		}
	}
	return errs
}

func checkClaim(c *corev1.PersistentVolumeClaim) field.ErrorList {
	errs := checkMeta(&c.ObjectMeta, apivalidation.NameIsDNSSubdomain)
	spec := field.NewPath("spec")
	if len(c.Spec.AccessModes) == 0 {
		errs = append(errs, field.Required(spec.Child("accessModes"), "at least 1 access mode is required"))
	}
	q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]
	if !ok || q.Sign() <= 0 {
		errs = append(errs, field.Required(spec.Child("resources", "requests").Key(string(corev1.ResourceStorage)), "a positive storage size is required"))
	}
	if sc := c.Spec.StorageClassName; sc != nil {
		errs = append(errs, dnsSubdomain(spec.Child("storageClassName"), *sc)...)
	}
	return errs
}

func dnsLabel(p *field.Path, s string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(s) {
		errs = append(errs, field.Invalid(p, s, msg))
	}
	return errs
}

func dnsSubdomain(p *field.Path, s string) field.ErrorList {
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Subdomain(s) {
		errs = append(errs, field.Invalid(p, s, msg))
	}
	return errs
}
