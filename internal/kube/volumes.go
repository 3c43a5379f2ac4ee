package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/sdk/validate"
)

// homeSpecifier is systemd's specifier for the user's home directory, which
// lychd writes at the start of core runes' volume paths.
const homeSpecifier = "%h"

// volume is one parsed Podman volume spec.
type volume struct {
	spec     string
	src, dst string
	readOnly bool
}

// volumes adds r's volumes to the pod and mounts them in c. Refusals go to
// e.errs.
func (e *exporter) volumes(r *model.Rune, c *corev1.Container, pod *corev1.PodSpec) {
	mountedAt := map[string]string{}
	for i, spec := range r.Volumes {
		v, err := parseVolume(r, spec)
		if err != nil {
			e.errs = append(e.errs, err)
			continue
		}
		name := fmt.Sprintf("volume-%d", i)
		var source corev1.VolumeSource
		if isHostPath(v.src) {
			src, err := e.hostPath(r, v)
			if err != nil {
				e.errs = append(e.errs, err)
				continue
			}
			source.HostPath = &corev1.HostPathVolumeSource{Path: src}
		} else {
			cn := claimName(v.src)
			if prev := e.claims[cn]; prev != nil && prev.volume != v.src {
				e.errs = append(e.errs, fmt.Errorf("%s: volume %q: the named volumes %q and %q would both become the PersistentVolumeClaim %q; rename one of them", who(r), spec, prev.volume, v.src, cn))
				continue
			}
			if e.claims[cn] == nil {
				e.claims[cn] = &claim{name: cn, volume: v.src}
			}
			if c := e.claims[cn]; len(c.users) == 0 || c.users[len(c.users)-1] != r {
				c.users = append(c.users, r)
			}
			source.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: cn}
		}
		dst, err := e.expandHome(r, v, v.dst, "container path")
		if err != nil {
			e.errs = append(e.errs, err)
			continue
		}
		if prev, dup := mountedAt[dst]; dup {
			e.errs = append(e.errs, fmt.Errorf("%s: volumes %q and %q both mount at %q; a container path can hold one mount", who(r), prev, spec, dst))
			continue
		}
		mountedAt[dst] = spec
		pod.Volumes = append(pod.Volumes, corev1.Volume{Name: name, VolumeSource: source})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: dst, ReadOnly: v.readOnly})
	}
}

// parseVolume splits a Podman volume spec "SRC:DST[:OPTIONS]" and turns its
// options into a read-only flag.
func parseVolume(r *model.Rune, spec string) (volume, error) {
	v := volume{spec: spec}
	if strings.Contains(strings.ReplaceAll(spec, homeSpecifier, ""), "%") {
		return v, fmt.Errorf("%s: volume %q: the only systemd specifier the export understands is %q at the start of a path; write the path out", who(r), spec, homeSpecifier)
	}
	// The SDK's check refuses "%": check the spec with the home written out.
	if err := validate.Volume(strings.ReplaceAll(spec, homeSpecifier, "/home")); err != nil {
		if strings.Contains(spec, homeSpecifier) {
			return v, fmt.Errorf("%s: volume %q is not \"SRC:DST[:OPTIONS]\" with absolute paths or a volume name", who(r), spec)
		}
		return v, fmt.Errorf("%s: %w", who(r), err)
	}
	parts := strings.Split(spec, ":")
	v.src, v.dst = parts[0], parts[1]
	for _, p := range []string{v.src, v.dst} {
		if strings.Contains(p[1:], homeSpecifier) || (strings.HasPrefix(p, homeSpecifier) && p != homeSpecifier && p[len(homeSpecifier)] != '/') {
			return v, fmt.Errorf("%s: volume %q: %q may only start a path, as in \"%%h/models\"", who(r), spec, homeSpecifier)
		}
	}
	if len(parts) < 3 {
		return v, nil
	}
	var ro, rw bool
	for _, opt := range strings.Split(parts[2], ",") {
		switch opt {
		case "ro":
			ro = true
		case "rw":
			rw = true
		case "z", "Z", "U", "nocopy":
			// Relabelling and ownership (U) are the node's and the
			// image's business, and a claim is never filled from the
			// image.
		default:
			return v, fmt.Errorf("%s: volume %q: the option %q has no Kubernetes equivalent in the export (it carries ro and rw, and drops z, Z, U and nocopy); remove it", who(r), spec, opt)
		}
	}
	if ro && rw {
		return v, fmt.Errorf("%s: volume %q has both \"ro\" and \"rw\"; keep one", who(r), spec)
	}
	v.readOnly = ro
	return v, nil
}

func isHostPath(src string) bool {
	return strings.HasPrefix(src, "/") || strings.HasPrefix(src, homeSpecifier)
}

// hostPath returns the node path of a host-path volume, or the refusal.
func (e *exporter) hostPath(r *model.Rune, v volume) (string, error) {
	if !e.opts.AllowHostPaths {
		if strings.HasPrefix(v.src, homeSpecifier) {
			return "", fmt.Errorf("%s: volume %q: the host path %q is in the home directory of this host's user; keep the data in a named volume (it becomes a PersistentVolumeClaim), or pass --allow-host-paths and --home DIR with the home directory that has these paths on every node", who(r), v.spec, v.src)
		}
		return "", fmt.Errorf("%s: volume %q: the host path %q exists on this host only, and a pod may run on any node; keep the data in a named volume (it becomes a PersistentVolumeClaim), or pass --allow-host-paths if every node that may run it has %q", who(r), v.spec, v.src, v.src)
	}
	return e.expandHome(r, v, v.src, "host path")
}

// expandHome replaces a leading "%h" of p with Options.Home.
func (e *exporter) expandHome(r *model.Rune, v volume, p, what string) (string, error) {
	if !strings.HasPrefix(p, homeSpecifier) {
		return p, nil
	}
	if e.opts.Home == "" {
		return "", fmt.Errorf("%s: volume %q: the %s %q starts with %q, the systemd specifier of the user's home directory, which has no value on a cluster; pass --home DIR with the home directory these paths have on the nodes", who(r), v.spec, what, p, homeSpecifier)
	}
	return path.Join(e.opts.Home, strings.TrimPrefix(p, homeSpecifier)), nil
}

// claimName returns the PersistentVolumeClaim name for a named Podman
// volume: the same name when it is a valid object name, otherwise the name
// lower-cased with every other character turned into "-", followed by "-"
// and eight hex digits of its SHA-256, so that different volumes never
// share a claim.
func claimName(volume string) string {
	if len(validation.IsDNS1123Subdomain(volume)) == 0 {
		return volume
	}
	sum := sha256.Sum256([]byte(volume))
	suffix := hex.EncodeToString(sum[:4])
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(volume) {
		if (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	base := strings.TrimSuffix(b.String(), "-")
	if limit := validation.DNS1123SubdomainMaxLength - len(suffix) - 1; len(base) > limit {
		base = strings.TrimRight(base[:limit], "-")
	}
	if base == "" {
		return "volume-" + suffix
	}
	return base + "-" + suffix
}
