// Package unitname builds and reads the names of the units lychd generates.
// Every lychd unit name is made here, and only here:
//
//	lychd.pod                          the pod's Quadlet file; Quadlet names
//	lychd-pod.service                  its service NAME-pod.service
//	lychd-NAME.container/.service      an always-on rune (the core's, an extension's)
//	lychd-soulstone-NAME.container/... a soulstone
//	lychd-coven-NAME.target            a coven of two or more soulstones
//	lychd-hold-KEY.target              a presence group of two or more soulstones
//
// NAME is a name valid for sdk/validate.Name (lower-case letters, digits and
// single dashes). An always-on rune may not be called "pod" or have a name
// starting with "soulstone-", "coven-" or "hold-" (validate.AlwaysOnName),
// so no two runes, covens or groups ever share a unit name and Parse reads
// every name back unambiguously.
package unitname

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Names of the pod.
const (
	// PodFile is the pod's Quadlet file.
	PodFile = "lychd.pod"
	// PodName is the name of the Podman pod.
	PodName = "lychd"
	// Pod is the service Quadlet generates for PodFile.
	Pod = "lychd-pod.service"
)

// Pattern matches every unit lychd generates (a systemd glob).
const Pattern = prefix + "*"

// Suffixes of the unit files lychd writes.
const (
	ContainerSuffix = ".container"
	ServiceSuffix   = ".service"
	TargetSuffix    = ".target"
)

const (
	prefix          = "lychd-"
	soulstonePrefix = prefix + "soulstone-"
	covenPrefix     = prefix + "coven-"
	holdPrefix      = prefix + "hold-"
)

// Kind is what a lychd unit is.
type Kind int

// Kinds of units.
const (
	// Other is a unit lychd does not generate.
	Other Kind = iota
	// PodKind is the pod's service.
	PodKind
	// AlwaysOn is an always-on rune's service.
	AlwaysOn
	// Soulstone is a soulstone's service.
	Soulstone
	// Coven is a coven's target.
	Coven
	// Hold is a presence group's hold target.
	Hold
)

// String names the kind for messages.
func (k Kind) String() string {
	switch k {
	case PodKind:
		return "pod"
	case AlwaysOn:
		return "always-on rune"
	case Soulstone:
		return "soulstone"
	case Coven:
		return "coven"
	case Hold:
		return "hold"
	}
	return "other"
}

// AlwaysOnBase is the unit name without suffix of always-on rune name:
// lychd-NAME.
func AlwaysOnBase(name string) string { return prefix + name }

// AlwaysOnService is the service Quadlet generates for always-on rune name.
func AlwaysOnService(name string) string { return AlwaysOnBase(name) + ServiceSuffix }

// SoulstoneBase is the unit name without suffix of soulstone name:
// lychd-soulstone-NAME.
func SoulstoneBase(name string) string { return soulstonePrefix + name }

// SoulstoneService is the service Quadlet generates for soulstone name.
func SoulstoneService(name string) string { return SoulstoneBase(name) + ServiceSuffix }

// CovenTarget is the target of coven name.
func CovenTarget(name string) string { return covenPrefix + name + TargetSuffix }

// maxHoldKey bounds the readable part of a hold target's name, so that the
// whole name stays well under systemd's 255 characters.
const maxHoldKey = 180

// HoldTarget names the hold target of a presence group after its classes,
// each a sorted list of covens: covens are joined by '_' within a class
// and classes by '.' (coven names hold neither). A key longer than 180
// characters is shortened to the first coven, "__" (which no readable key
// holds, since coven names are never empty) and a hash of the whole key.
func HoldTarget(classes [][]string) string {
	parts := make([]string, len(classes))
	for i, cl := range classes {
		parts[i] = strings.Join(cl, "_")
	}
	key := strings.Join(parts, ".")
	if len(key) > maxHoldKey {
		sum := sha256.Sum256([]byte(key))
		key = classes[0][0] + "__" + hex.EncodeToString(sum[:8])
	}
	return holdPrefix + key + TargetSuffix
}

// Parse reads a unit name lychd generates: its kind, and the rune or
// coven name it is for (empty for the pod and for holds). Other units give
// Other.
func Parse(unit string) (Kind, string) {
	switch {
	case unit == Pod:
		return PodKind, ""
	case strings.HasPrefix(unit, covenPrefix) && strings.HasSuffix(unit, TargetSuffix):
		if n := unit[len(covenPrefix) : len(unit)-len(TargetSuffix)]; n != "" {
			return Coven, n
		}
	case strings.HasPrefix(unit, holdPrefix) && strings.HasSuffix(unit, TargetSuffix):
		if len(unit) > len(holdPrefix)+len(TargetSuffix) {
			return Hold, ""
		}
	case strings.HasPrefix(unit, soulstonePrefix) && strings.HasSuffix(unit, ServiceSuffix):
		if n := unit[len(soulstonePrefix) : len(unit)-len(ServiceSuffix)]; n != "" {
			return Soulstone, n
		}
	case strings.HasPrefix(unit, prefix) && strings.HasSuffix(unit, ServiceSuffix):
		if n := unit[len(prefix) : len(unit)-len(ServiceSuffix)]; n != "" {
			return AlwaysOn, n
		}
	}
	return Other, ""
}

// IsLychd reports whether unit has the prefix of the units lychd
// generates ("lychd-"), as user dependencies on lychd units do.
func IsLychd(unit string) bool { return strings.HasPrefix(unit, prefix) }
