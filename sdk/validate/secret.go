package validate

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// MaxSecretNameLen is the longest Podman secret name lychd accepts.
const MaxSecretNameLen = 253

// Secret types: how a Podman secret reaches a container.
const (
	// SecretMount puts the secret in a file, /run/secrets/NAME or the
	// target's path (Podman's default).
	SecretMount = "mount"
	// SecretEnv puts the secret in the environment variable the target
	// names.
	SecretEnv = "env"
)

// SecretRef is one entry of a rune's secrets, parsed: the Podman secret
// Name, how it reaches the container (Type, SecretMount or SecretEnv) and
// where (Target: a file path for a mount, "" for /run/secrets/NAME; a
// variable name for env).
type SecretRef struct {
	Name   string
	Type   string
	Target string
}

// String is the entry in Podman's --secret form, the value of a Quadlet
// Secret= line: NAME, NAME,type=env,target=VAR or NAME,target=PATH.
func (s SecretRef) String() string {
	switch {
	case s.Type == SecretEnv:
		return s.Name + ",type=env,target=" + s.Target
	case s.Target != "":
		return s.Name + ",target=" + s.Target
	}
	return s.Name
}

// SecretName checks the name of a Podman secret: 1 to 253 ASCII letters,
// digits, "_", "." and "-", starting with a letter or digit (the names
// Podman accepts, without the ones that could be read as an option).
func SecretName(s string) error {
	const how = `use 1 to 253 characters: a letter or digit, then letters, digits, "_", "." and "-" (e.g. "hf-token")`
	switch {
	case s == "":
		return fmt.Errorf("secret name is empty; %s", how)
	case len(s) > MaxSecretNameLen:
		return fmt.Errorf("secret name is %d characters long; %s", len(s), how)
	case !isAlnum(s[0]):
		return fmt.Errorf("secret name %s does not start with a letter or digit; %s", quote(s), how)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return fmt.Errorf("secret name %s contains %s; %s", quote(s), describeByte(s, i), how)
		}
	}
	return nil
}

// Secret checks one entry of a rune's secrets; see ParseSecret.
func Secret(s string) error {
	_, err := ParseSecret(s)
	return err
}

// ParseSecret parses one entry of a rune's secrets, a subset of Podman's
// --secret syntax:
//
//	NAME                          the file /run/secrets/NAME
//	NAME,target=PATH              the file PATH (absolute, or relative to /run/secrets)
//	NAME,type=mount,target=PATH   the same
//	NAME,type=env,target=VAR      the environment variable VAR
//
// NAME is a SecretName; the options come in any order, each at most once.
// Only the secret's name is written into the unit, never its value.
func ParseSecret(s string) (SecretRef, error) {
	const how = `write "NAME", "NAME,target=PATH" or "NAME,type=env,target=VAR" (e.g. "hf-token,type=env,target=HF_TOKEN")`
	if len(s) > MaxPathLen {
		return SecretRef{}, fmt.Errorf("secret is %d bytes long; the limit is %d", len(s), MaxPathLen)
	}
	parts := strings.Split(s, ",")
	ref := SecretRef{Name: parts[0], Type: SecretMount}
	if err := SecretName(ref.Name); err != nil {
		return SecretRef{}, err
	}
	seen := map[string]bool{}
	for _, opt := range parts[1:] {
		key, val, ok := strings.Cut(opt, "=")
		if !ok || (key != "type" && key != "target") {
			return SecretRef{}, fmt.Errorf("secret %s has option %s; the options are type= and target=; %s", quote(s), quote(opt), how)
		}
		if seen[key] {
			return SecretRef{}, fmt.Errorf("secret %s sets %s twice; set it once", quote(s), key)
		}
		seen[key] = true
		switch key {
		case "type":
			if val != SecretMount && val != SecretEnv {
				return SecretRef{}, fmt.Errorf("secret %s has type %s; use type=mount (a file) or type=env (an environment variable)", quote(s), quote(val))
			}
			ref.Type = val
		case "target":
			ref.Target = val
		}
	}
	if ref.Type == SecretEnv {
		if ref.Target == "" {
			return SecretRef{}, fmt.Errorf("secret %s has type=env but no target; name the variable, e.g. %s", quote(s), quote(ref.Name+",type=env,target=API_KEY"))
		}
		if err := EnvName(ref.Target); err != nil {
			return SecretRef{}, fmt.Errorf("secret %s: target: %w", quote(s), err)
		}
		return ref, nil
	}
	if seen["target"] {
		if err := secretPath(ref.Target); err != nil {
			return SecretRef{}, fmt.Errorf("secret %s: target: %w", quote(s), err)
		}
	}
	return ref, nil
}

// secretPath checks the file a mounted secret is put in.
func secretPath(p string) error {
	const how = `use letters, digits, "_", ".", "-" and "/", e.g. "/run/secrets/token" or "token"`
	if p == "" {
		return errors.New("the path is empty; " + how)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' && c != '/' {
			return fmt.Errorf("path %s contains %s; %s", quote(p), describeByte(p, i), how)
		}
	}
	if path.Clean(p) != p || p == "/" || strings.HasPrefix(p, "../") || p == ".." {
		return fmt.Errorf("path %s is not a clean file path; write it without \"..\", \"//\" or a trailing \"/\"", quote(p))
	}
	return nil
}
