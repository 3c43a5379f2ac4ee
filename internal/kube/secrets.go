package kube

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/lychd/lychd/internal/model"
)

// SecretType says how a rune reads a Podman secret, as Podman's
// --secret NAME,type=TYPE does.
type SecretType string

// The two ways a rune reads a secret.
const (
	// SecretEnv sets an environment variable to the secret's value.
	SecretEnv SecretType = "env"
	// SecretMount puts the value into a file.
	SecretMount SecretType = "mount"
)

// SecretRef is a Podman secret that a rune reads, named, never its value.
// The export refers to a Kubernetes Secret of the same name that the user
// creates, holding the value under SecretKey.
type SecretRef struct {
	// Name is the Podman secret's name, and the Kubernetes Secret's.
	Name string
	Type SecretType
	// Target is the environment variable (default: Name) or the file:
	// absolute, or relative to /run/secrets (default: /run/secrets/NAME),
	// as with Podman.
	Target string
}

// SecretKey is the key under which the Kubernetes Secret holds the value:
// kubectl create secret generic NAME --from-file=value=FILE.
const SecretKey = "value"

// secretsDir is where Podman puts mounted secrets by default.
const secretsDir = "/run/secrets"

// SecretUse is how a container reads its secrets on Kubernetes.
type SecretUse struct {
	// Env are environment variables read from the Secrets' SecretKey.
	Env []corev1.EnvVar
	// Volumes are secret volumes, named "secret-N" after the reference's
	// index; Mounts mount each one's SecretKey, read-only, at its file.
	Volumes []corev1.Volume
	Mounts  []corev1.VolumeMount
}

// MapSecrets turns secret references into environment variables read from
// secretKeyRef and read-only secret volumes. It never sees a value.
func MapSecrets(refs []SecretRef) (SecretUse, error) {
	var u SecretUse
	for i, s := range refs {
		if msgs := validation.IsDNS1123Subdomain(s.Name); len(msgs) > 0 {
			return SecretUse{}, fmt.Errorf("secret %q: the name is not a valid Kubernetes Secret name (%s); give the Podman secret a name of lower-case letters, digits, \"-\" and \".\"", s.Name, strings.Join(msgs, "; "))
		}
		switch s.Type {
		case SecretEnv:
			target := s.Target
			if target == "" {
				target = s.Name
			}
			if msgs := validation.IsEnvVarName(target); len(msgs) > 0 {
				return SecretUse{}, fmt.Errorf("secret %q: environment variable %q: %s", s.Name, target, strings.Join(msgs, "; "))
			}
			u.Env = append(u.Env, corev1.EnvVar{Name: target, ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: s.Name}, Key: SecretKey},
			}})
		case SecretMount:
			target := s.Target
			if target == "" {
				target = s.Name
			}
			clean := path.Clean(target) == target && !strings.HasPrefix(target, "../") && !strings.HasSuffix(target, "/..") && target != ".."
			if !path.IsAbs(target) {
				target = path.Join(secretsDir, target)
			}
			if !clean || target == secretsDir || target == "/" {
				return SecretUse{}, fmt.Errorf("secret %q: the file %q is not a clean path to a file; write it as \"/run/secrets/NAME\" or an absolute path without \"..\"", s.Name, s.Target)
			}
			name := fmt.Sprintf("secret-%d", i)
			u.Volumes = append(u.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
				Secret: &corev1.SecretVolumeSource{SecretName: s.Name},
			}})
			u.Mounts = append(u.Mounts, corev1.VolumeMount{Name: name, MountPath: target, SubPath: SecretKey, ReadOnly: true})
		default:
			return SecretUse{}, fmt.Errorf("secret %q: type %q; use %q or %q", s.Name, s.Type, SecretEnv, SecretMount)
		}
	}
	return u, nil
}

// runeSecrets returns the secrets r reads: the manifest's (the Codex's
// secrets key, an extension's Rune.Secrets), then those Options.Secrets
// adds for it.
func (e *exporter) runeSecrets(r *model.Rune) []SecretRef {
	extra := e.opts.Secrets[r.Name]
	if len(r.Secrets) == 0 {
		return extra
	}
	refs := make([]SecretRef, 0, len(r.Secrets)+len(extra))
	for _, s := range r.Secrets {
		typ := SecretType(s.Type)
		if typ == "" {
			typ = SecretMount
		}
		refs = append(refs, SecretRef{Name: s.Name, Type: typ, Target: s.Target})
	}
	return append(refs, extra...)
}

// secrets adds the secrets r reads (see runeSecrets) as references.
func (e *exporter) secrets(r *model.Rune, c *corev1.Container, pod *corev1.PodSpec) {
	refs := e.runeSecrets(r)
	if len(refs) == 0 {
		return
	}
	u, err := MapSecrets(refs)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %w", who(r), err))
		return
	}
	for _, m := range u.Mounts {
		for _, have := range c.VolumeMounts {
			if have.MountPath == m.MountPath {
				e.errs = append(e.errs, fmt.Errorf("%s: a secret and a volume both mount at %q; a container path can hold one mount", who(r), m.MountPath))
				return
			}
		}
	}
	c.Env = append(c.Env, u.Env...)
	c.VolumeMounts = append(c.VolumeMounts, u.Mounts...)
	pod.Volumes = append(pod.Volumes, u.Volumes...)
	for _, s := range refs {
		if e.secretReaders == nil {
			e.secretReaders = map[string][]string{}
		}
		readers := e.secretReaders[s.Name]
		if len(readers) == 0 {
			e.secretOrder = append(e.secretOrder, s.Name)
		}
		if !slices.Contains(readers, who(r)) {
			e.secretReaders[s.Name] = append(readers, who(r))
		}
	}
}
