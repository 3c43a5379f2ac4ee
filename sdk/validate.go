package sdk

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/lychd/lychd/sdk/validate"
)

// Limits on what one extension may register, as lychd applies them.
const (
	// MaxRunes is the most runes one extension may add.
	MaxRunes = 1000
	// MaxAnimators is the most Animators one extension may register.
	MaxAnimators = 1000
	// MaxField bounds every string field, in bytes.
	MaxField = 64 << 10
	// MaxList bounds every list or map field, in entries.
	MaxList = 1000
)

// ReservedName is the name of lychd's built-in extension; no installed
// extension may use it.
const ReservedName = "core"

// The Validate functions apply the rules lychd applies to everything an
// extension registers, with the same messages; plugintest uses them so that
// an extension that passes its tests is accepted by lychd. The value rules
// themselves are in package validate.

// ValidateInfo checks an extension's Info: a valid, unreserved name and
// one-line version and description.
func ValidateInfo(i Info) error {
	if err := validate.Name(i.Name); err != nil {
		return fmt.Errorf("the extension's name is invalid: %w", err)
	}
	if i.Name == ReservedName {
		return fmt.Errorf("the extension calls itself %q, which is reserved for lychd's built-in extension; rename it", i.Name)
	}
	if err := checkField("version", i.Version); err != nil {
		return err
	}
	if err := validate.Description(i.Version); err != nil {
		return fmt.Errorf("version: %w", err)
	}
	if err := checkField("description", i.Description); err != nil {
		return err
	}
	return validate.Description(i.Description)
}

// ValidateRune checks one rune on its own; ValidateSet checks a whole
// registration. The error names the rune.
func ValidateRune(r Rune) error {
	if err := checkField("rune name", r.Name); err != nil {
		return err
	}
	if err := validate.Name(r.Name); err != nil {
		return fmt.Errorf("registered a rune with an invalid name: %w", err)
	}
	if err := validateRune(r); err != nil {
		return fmt.Errorf("rune %s: %w", quote(r.Name), err)
	}
	return nil
}

func validateRune(r Rune) error {
	if r.Kind != Soulstone && r.Kind != AlwaysOn {
		return fmt.Errorf("unknown kind %d; use sdk.Soulstone or sdk.AlwaysOn", int(r.Kind))
	}
	if err := checkField("description", r.Description); err != nil {
		return err
	}
	if r.Description != "" {
		if err := validate.Description(r.Description); err != nil {
			return err
		}
	}
	if err := checkField("image", r.Image); err != nil {
		return err
	}
	if err := validate.Image(r.Image); err != nil {
		return err
	}
	if len(r.Groups) > 0 && r.Kind == AlwaysOn {
		return errors.New("an AlwaysOn rune belongs to no coven; remove its groups or make it a soulstone")
	}
	for _, ck := range []struct {
		what string
		vals []string
		fn   func(string) error
	}{
		{"groups", r.Groups, validate.Name},
		{"after", r.After, validate.UnitName},
		{"wants", r.Wants, validate.UnitName},
		{"requires", r.Requires, validate.UnitName},
		{"devices", r.Devices, validate.Device},
		{"volumes", r.Volumes, validate.Volume},
		{"exec", r.Exec, validate.ExecArg},
	} {
		if err := each(ck.what, ck.vals, ck.fn); err != nil {
			return err
		}
	}
	if r.Port != 0 {
		if err := validate.Port(r.Port); err != nil {
			return err
		}
	}
	if r.HostPort != 0 {
		if err := validate.Port(r.HostPort); err != nil {
			return fmt.Errorf("host port: %w", err)
		}
	}
	if (r.ExposePort || r.HostPort != 0) && r.Port == 0 {
		return errors.New("exposes a port but declares none; set Port")
	}
	if r.StartTimeout != 0 {
		if err := validate.StartTimeout(r.StartTimeout); err != nil {
			return err
		}
	}
	if err := checkList("environment", len(r.Environment)); err != nil {
		return err
	}
	keys := make([]string, 0, len(r.Environment))
	for k := range r.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := r.Environment[k]
		if err := checkField("environment name", k); err != nil {
			return err
		}
		if err := checkField("environment value", v); err != nil {
			return err
		}
		if err := validate.EnvName(k); err != nil {
			return fmt.Errorf("environment: %w", err)
		}
		if err := validate.EnvValue(v); err != nil {
			return fmt.Errorf("environment %s: %w", k, err)
		}
	}
	return nil
}

// ValidateAnimator checks one Animator on its own. The error names it.
func ValidateAnimator(a Animator) error {
	if err := checkField("Animator name", a.Name); err != nil {
		return err
	}
	if err := validate.Name(a.Name); err != nil {
		return fmt.Errorf("registered an Animator with an invalid name: %w", err)
	}
	if err := validateAnimator(a); err != nil {
		return fmt.Errorf("Animator %s: %w", quote(a.Name), err)
	}
	return nil
}

func validateAnimator(a Animator) error {
	switch a.Kind {
	case AnimatorSoulstone:
		if a.URL != "" {
			return errors.New("a soulstone Animator has no URL; remove it or make the Animator a portal")
		}
		rn := RuneFor(a)
		if err := checkField("rune", rn); err != nil {
			return err
		}
		if err := validate.Name(rn); err != nil {
			return fmt.Errorf("rune: %w", err)
		}
	case AnimatorPortal:
		if a.Rune != "" {
			return fmt.Errorf("a portal is served by a remote URL, not by rune %s; remove the rune or make the Animator a soulstone", quote(a.Rune))
		}
		if err := checkField("URL", a.URL); err != nil {
			return err
		}
		if err := validate.URL(a.URL); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown kind %d; use sdk.AnimatorSoulstone or sdk.AnimatorPortal", int(a.Kind))
	}
	if err := each("capabilities", a.Capabilities, validate.Capability); err != nil {
		return err
	}
	return each("tags", a.Tags, validate.Tag)
}

// RuneFor returns the name of the rune that manifests a soulstone Animator:
// its Rune, or its own name when Rune is empty. It is empty for portals.
func RuneFor(a Animator) string {
	if a.Kind != AnimatorSoulstone {
		return ""
	}
	if a.Rune != "" {
		return a.Rune
	}
	return a.Name
}

// ValidateSet checks everything one extension registered: each rune and
// Animator, the limits, no name registered twice, and every soulstone
// Animator served by a rune of the same registration. All problems are
// returned, joined, in registration order.
func ValidateSet(runes []Rune, animators []Animator) error {
	var errs []error
	if len(runes) > MaxRunes {
		errs = append(errs, fmt.Errorf("registered more than %d runes; an extension may register at most %d", MaxRunes, MaxRunes))
	}
	if len(animators) > MaxAnimators {
		errs = append(errs, fmt.Errorf("registered more than %d Animators; an extension may register at most %d", MaxAnimators, MaxAnimators))
	}
	runeNames := map[string]bool{}
	for _, r := range runes {
		if err := ValidateRune(r); err != nil {
			errs = append(errs, err)
		}
		if runeNames[r.Name] {
			errs = append(errs, fmt.Errorf("registered rune %s twice; give each rune its own name", quote(r.Name)))
		}
		runeNames[r.Name] = true
	}
	animatorNames := map[string]bool{}
	for _, a := range animators {
		if err := ValidateAnimator(a); err != nil {
			errs = append(errs, err)
		}
		if animatorNames[a.Name] {
			errs = append(errs, fmt.Errorf("registered Animator %s twice; give each Animator its own name", quote(a.Name)))
		}
		animatorNames[a.Name] = true
		if rn := RuneFor(a); rn != "" && !runeNames[rn] {
			errs = append(errs, fmt.Errorf("Animator %s is served by rune %s, which this extension did not register; add the rune with AddRune or make the Animator a portal", quote(a.Name), quote(rn)))
		}
	}
	return errors.Join(errs...)
}

// checkField bounds one string field before anything else looks at it, so
// that a huge value never reaches a message.
func checkField(what, s string) error {
	if len(s) > MaxField {
		return fmt.Errorf("%s is %d bytes long; the limit is %d bytes", what, len(s), MaxField)
	}
	return nil
}

func checkList(what string, n int) error {
	if n > MaxList {
		return fmt.Errorf("%s has %d entries; the limit is %d", what, n, MaxList)
	}
	return nil
}

// each checks every entry of a string list with check.
func each(what string, vals []string, check func(string) error) error {
	if err := checkList(what, len(vals)); err != nil {
		return err
	}
	for _, v := range vals {
		if err := checkField(what+" entry", v); err != nil {
			return err
		}
		if err := check(v); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}

// quote renders a value for a message, shortened when long.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
