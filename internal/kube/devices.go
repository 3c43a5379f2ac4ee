package kube

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/validate"
)

// builtinResource returns the extended resource that the well-known device
// plugin of a CDI kind advertises: NVIDIA's k8s-device-plugin, AMD's ROCm
// k8s-device-plugin and Intel's GPU plugin (i915 driver; xe nodes advertise
// gpu.intel.com/xe instead).
func builtinResource(kind string) (string, bool) {
	switch kind {
	case "nvidia.com/gpu":
		return "nvidia.com/gpu", true
	case "amd.com/gpu":
		return "amd.com/gpu", true
	case "intel.com/gpu":
		return "gpu.intel.com/i915", true
	}
	return "", false
}

// knownKinds lists the CDI kinds builtinResource maps, for messages.
const knownKinds = "amd.com/gpu, intel.com/gpu, nvidia.com/gpu"

// devices turns the devices of r into resource limits.
func (e *exporter) devices(r *model.Rune) (corev1.ResourceList, []error) {
	var errs []error
	all := map[string]bool{}
	named := map[string]map[string]bool{}
	for _, d := range r.Devices {
		if strings.HasPrefix(d, "/") {
			errs = append(errs, fmt.Errorf("%s: device %q: a host device path reaches a container on Kubernetes only in a privileged pod, which lychd does not write; give the device by its CDI name instead (e.g. \"nvidia.com/gpu=all\", \"amd.com/gpu=all\" or \"intel.com/gpu=gpu0\") so that the export requests the device plugin's resource", who(r), d))
			continue
		}
		if err := validate.CDIDevice(d); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", who(r), err))
			continue
		}
		eq := strings.IndexByte(d, '=')
		kind, name := d[:eq], d[eq+1:]
		res, err := e.resourceFor(r, d, kind, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if name == "all" {
			all[res] = true
			continue
		}
		if named[res] == nil {
			named[res] = map[string]bool{}
		}
		named[res][name] = true
	}
	if len(errs) > 0 {
		return nil, errs
	}
	counts := map[string]int{}
	for res, names := range named {
		counts[res] = len(names)
	}
	for res := range all {
		counts[res] = max(counts[res], e.opts.AllDevices)
	}
	if len(counts) == 0 {
		return nil, nil
	}
	limits := corev1.ResourceList{}
	for _, res := range sortedKeys(counts) {
		limits[corev1.ResourceName(res)] = *resource.NewQuantity(int64(counts[res]), resource.DecimalSI)
	}
	return limits, nil
}

// resourceFor finds the extended resource for one CDI device.
func (e *exporter) resourceFor(r *model.Rune, device, kind, name string) (string, error) {
	if res, ok := e.opts.DeviceResources[device]; ok {
		return res, nil
	}
	if res, ok := e.opts.DeviceResources[kind]; ok {
		return res, nil
	}
	if kind == "nvidia.com/gpu" && (strings.Contains(name, ":") || strings.HasPrefix(name, "MIG-")) {
		return "", fmt.Errorf("%s: device %q is a MIG slice of an NVIDIA GPU, which the cluster's device plugin advertises as nvidia.com/gpu or as nvidia.com/mig-PROFILE depending on its MIG strategy; name the resource with --device-resource %s=RESOURCE", who(r), device, device)
	}
	res, ok := builtinResource(kind)
	if !ok {
		return "", fmt.Errorf("%s: device %q: no device plugin resource is known for the CDI kind %q (known: %s); name the resource that your cluster's device plugin advertises with --device-resource %s=RESOURCE", who(r), device, kind, knownKinds, kind)
	}
	return res, nil
}

// checkDeviceResource checks one entry of Options.DeviceResources.
func checkDeviceResource(key, res string) error {
	probe := key
	if !strings.Contains(key, "=") {
		probe = key + "=all"
	}
	if validate.CDIDevice(probe) != nil {
		return fmt.Errorf("--device-resource %s=%s: %q is neither a CDI kind such as \"nvidia.com/gpu\" nor a CDI name such as \"nvidia.com/gpu=0\"", key, res, key)
	}
	if msg := extendedResourceProblem(res); msg != "" {
		return fmt.Errorf("--device-resource %s=%s: %q is not an extended resource name such as \"nvidia.com/gpu\": %s", key, res, res, msg)
	}
	return nil
}

// extendedResourceProblem says why res cannot be a device plugin's resource
// name, or returns "": it must be a qualified name with a domain outside
// kubernetes.io, and "requests." + res must be one too.
func extendedResourceProblem(res string) string {
	if msgs := validation.IsQualifiedName(res); len(msgs) > 0 {
		return strings.Join(msgs, "; ")
	}
	slash := strings.IndexByte(res, '/')
	if slash < 0 {
		return "it has no domain prefix (\"vendor.com/\")"
	}
	if domain := res[:slash]; domain == "kubernetes.io" || strings.HasSuffix(domain, ".kubernetes.io") {
		return "the kubernetes.io domain is reserved for native resources"
	}
	if msgs := validation.IsQualifiedName("requests." + res); len(msgs) > 0 {
		return "with the \"requests.\" prefix of its quota it " + strings.Join(msgs, "; ")
	}
	return ""
}
