package sdk

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Limits on what one extension may register. lychd enforces them on every
// extension, in-process or not; they are generous for real extensions and
// only stop runaway ones.
const (
	// MaxNameLen bounds extension, rune, coven, Animator and tag names, so
	// that unit names such as lychd-soulstone-NAME.service stay short.
	MaxNameLen = 48
	// MaxRunes is the most runes one extension may add.
	MaxRunes = 64
	// MaxAnimators is the most Animators one extension may register.
	MaxAnimators = 64
	// MaxListLen bounds every list field of a rune or Animator
	// (groups, volumes, environment variables, exec arguments, tags...).
	MaxListLen = 64
	// MaxValueLen bounds every single string value (an image reference, a
	// volume spec, an environment value, a URL...).
	MaxValueLen = 1024
)

var (
	namePattern       = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
	unitPattern       = regexp.MustCompile(`^[A-Za-z0-9:_.@\\-]+\.(service|target|socket|mount|path|timer|slice|scope|device|swap|automount)$`)
	cdiPattern        = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\.[a-z]+/[a-zA-Z0-9]([a-zA-Z0-9._-]*)=[a-zA-Z0-9_.:-]+$`)
	envNamePattern    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	capabilityPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)
)

// ValidateName checks an extension, rune, coven, Animator or tag name:
// lower-case letters, digits and dashes, starting with a letter, not ending
// with a dash, at most MaxNameLen bytes.
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("name is empty")
	case len(name) > MaxNameLen:
		return fmt.Errorf("name %q is %d bytes long; the limit is %d", name, len(name), MaxNameLen)
	case !namePattern.MatchString(name):
		return fmt.Errorf("name %q must be lower-case letters, digits and dashes, start with a letter and not end with a dash", name)
	}
	return nil
}

// ValidateInfo checks an extension's Info.
func ValidateInfo(i Info) error {
	if err := ValidateName(i.Name); err != nil {
		return fmt.Errorf("extension info: %w", err)
	}
	if strings.TrimSpace(i.Version) == "" {
		return fmt.Errorf("extension %q: Info.Version is empty; set it, e.g. to \"0.1.0\"", i.Name)
	}
	if err := checkLine("Info.Version", i.Version, 64); err != nil {
		return fmt.Errorf("extension %q: %w", i.Name, err)
	}
	if err := checkLine("Info.Description", i.Description, 200); err != nil {
		return fmt.Errorf("extension %q: %w", i.Name, err)
	}
	return nil
}

// ValidateRune checks one rune on its own (ValidateSet checks a whole
// registration). The error names the rune.
func ValidateRune(r Rune) error {
	if err := ValidateName(r.Name); err != nil {
		return fmt.Errorf("rune: %w", err)
	}
	if err := validateRuneFields(r); err != nil {
		return fmt.Errorf("rune %q: %w", r.Name, err)
	}
	return nil
}

func validateRuneFields(r Rune) error {
	if r.Kind != Soulstone && r.Kind != AlwaysOn {
		return fmt.Errorf("unknown Kind %d; use sdk.Soulstone or sdk.AlwaysOn", r.Kind)
	}
	if err := checkLine("Description", r.Description, MaxValueLen); err != nil {
		return err
	}
	if r.Image == "" {
		return errors.New("Image is empty; set it to an image reference such as docker.io/library/busybox:latest")
	}
	if err := checkToken("Image", r.Image); err != nil {
		return err
	}
	if r.Kind == AlwaysOn && len(r.Groups) > 0 {
		return fmt.Errorf("Groups %q is set on an AlwaysOn rune; covens are for soulstones only", r.Groups)
	}
	if err := checkList("Groups", r.Groups, func(g string) error { return ValidateName(g) }); err != nil {
		return err
	}
	for _, dep := range []struct {
		field string
		units []string
	}{{"After", r.After}, {"Wants", r.Wants}, {"Requires", r.Requires}} {
		if err := checkList(dep.field, dep.units, checkUnit); err != nil {
			return err
		}
	}
	if r.Port < 0 || r.Port > 65535 {
		return fmt.Errorf("Port %d is outside 1-65535 (0 means none)", r.Port)
	}
	if r.HostPort < 0 || r.HostPort > 65535 {
		return fmt.Errorf("HostPort %d is outside 1-65535 (0 means the same as Port)", r.HostPort)
	}
	if r.ExposePort && r.Port == 0 {
		return errors.New("ExposePort is set but Port is 0; set the port to publish")
	}
	if r.HostPort != 0 && !r.ExposePort {
		return fmt.Errorf("HostPort %d is set but ExposePort is false; set ExposePort to publish the port", r.HostPort)
	}
	if err := checkList("Devices", r.Devices, checkDevice); err != nil {
		return err
	}
	if err := checkList("Volumes", r.Volumes, checkVolume); err != nil {
		return err
	}
	if len(r.Environment) > MaxListLen {
		return fmt.Errorf("Environment has %d variables; the limit is %d", len(r.Environment), MaxListLen)
	}
	for _, k := range sortedKeys(r.Environment) {
		if !envNamePattern.MatchString(k) {
			return fmt.Errorf("Environment variable name %q must be letters, digits and underscores, not starting with a digit", k)
		}
		if err := checkLine("Environment["+k+"]", r.Environment[k], MaxValueLen); err != nil {
			return err
		}
	}
	return checkList("Exec", r.Exec, func(arg string) error { return checkLine("argument", arg, MaxValueLen) })
}

// ValidateAnimator checks one Animator on its own. The error names it.
func ValidateAnimator(a Animator) error {
	if err := ValidateName(a.Name); err != nil {
		return fmt.Errorf("animator: %w", err)
	}
	if err := validateAnimatorFields(a); err != nil {
		return fmt.Errorf("animator %q: %w", a.Name, err)
	}
	return nil
}

func validateAnimatorFields(a Animator) error {
	switch a.Kind {
	case AnimatorSoulstone:
		if a.URL != "" {
			return fmt.Errorf("URL %q is set on a soulstone Animator; only portals have a URL (use sdk.AnimatorPortal)", a.URL)
		}
		if a.Rune != "" {
			if err := ValidateName(a.Rune); err != nil {
				return fmt.Errorf("Rune: %w", err)
			}
		}
	case AnimatorPortal:
		if a.Rune != "" {
			return fmt.Errorf("Rune %q is set on a portal; portals have no rune", a.Rune)
		}
		if err := checkURL(a.URL); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown Kind %d; use sdk.AnimatorSoulstone or sdk.AnimatorPortal", a.Kind)
	}
	if len(a.Capabilities) == 0 {
		return errors.New("Capabilities is empty; name at least one calling convention, e.g. \"OpenAIChatCompletions\"")
	}
	if err := checkList("Capabilities", a.Capabilities, func(c string) error {
		if len(c) > MaxNameLen || !capabilityPattern.MatchString(c) {
			return fmt.Errorf("capability %q must be letters and digits starting with a letter, at most %d bytes (e.g. \"OpenAIChatCompletions\")", c, MaxNameLen)
		}
		return nil
	}); err != nil {
		return err
	}
	return checkList("Tags", a.Tags, func(t string) error {
		if err := ValidateName(t); err != nil {
			return fmt.Errorf("tag: %w", err)
		}
		return nil
	})
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
// Animator, the limits, no duplicate names, and every soulstone Animator
// paired with a rune of the same registration. Errors are reported in a
// deterministic order and joined.
func ValidateSet(runes []Rune, animators []Animator) error {
	var errs []error
	if len(runes) > MaxRunes {
		errs = append(errs, fmt.Errorf("%d runes registered; the limit is %d", len(runes), MaxRunes))
	}
	if len(animators) > MaxAnimators {
		errs = append(errs, fmt.Errorf("%d Animators registered; the limit is %d", len(animators), MaxAnimators))
	}
	runeNames := map[string]bool{}
	for _, r := range runes {
		if err := ValidateRune(r); err != nil {
			errs = append(errs, err)
		}
		if runeNames[r.Name] {
			errs = append(errs, fmt.Errorf("rune %q is added twice", r.Name))
		}
		runeNames[r.Name] = true
	}
	animatorNames := map[string]bool{}
	for _, a := range animators {
		if err := ValidateAnimator(a); err != nil {
			errs = append(errs, err)
		}
		if animatorNames[a.Name] {
			errs = append(errs, fmt.Errorf("animator %q is registered twice", a.Name))
		}
		animatorNames[a.Name] = true
		if rn := RuneFor(a); rn != "" && !runeNames[rn] {
			errs = append(errs, fmt.Errorf("animator %q: soulstone Animator is served by rune %q, which this extension did not add; add the rune or set Animator.Rune", a.Name, rn))
		}
	}
	return errors.Join(errs...)
}

func checkList(field string, values []string, check func(string) error) error {
	if len(values) > MaxListLen {
		return fmt.Errorf("%s has %d entries; the limit is %d", field, len(values), MaxListLen)
	}
	seen := map[string]bool{}
	for _, v := range values {
		if err := check(v); err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		if seen[v] {
			return fmt.Errorf("%s lists %q twice", field, v)
		}
		seen[v] = true
	}
	return nil
}

// checkLine accepts one line of text: no control characters but tab.
func checkLine(field, v string, limit int) error {
	if len(v) > limit {
		return fmt.Errorf("%s is %d bytes long; the limit is %d", field, len(v), limit)
	}
	for _, c := range v {
		if c != '\t' && unicode.IsControl(c) {
			return fmt.Errorf("%s %q contains the control character %U; it must be a single line", field, v, c)
		}
	}
	return nil
}

// checkToken accepts a non-empty value without spaces or control
// characters.
func checkToken(field, v string) error {
	if err := checkLine(field, v, MaxValueLen); err != nil {
		return err
	}
	if strings.ContainsFunc(v, unicode.IsSpace) {
		return fmt.Errorf("%s %q contains white space", field, v)
	}
	return nil
}

func checkUnit(u string) error {
	if len(u) > MaxValueLen || !unitPattern.MatchString(u) {
		return fmt.Errorf("%q is not a full systemd unit name such as \"lychd-soulstone-vision-preprocessor.service\"", u)
	}
	return nil
}

func checkDevice(d string) error {
	if !cdiPattern.MatchString(d) {
		return fmt.Errorf("%q is not a CDI device name such as \"nvidia.com/gpu=all\"", d)
	}
	return nil
}

func checkVolume(v string) error {
	if err := checkToken("volume", v); err != nil {
		return err
	}
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return fmt.Errorf("%q is not a volume spec SRC:DST[:OPTIONS]", v)
	}
	if !strings.HasPrefix(parts[1], "/") && !strings.HasPrefix(parts[1], "%h") {
		return fmt.Errorf("volume %q: the destination %q must be an absolute path (or start with %%h)", v, parts[1])
	}
	if len(parts) == 3 && parts[2] == "" {
		return fmt.Errorf("volume %q ends with an empty options field", v)
	}
	return nil
}

func checkURL(raw string) error {
	if raw == "" {
		return errors.New("URL is empty; a portal needs the endpoint of its remote API, e.g. \"https://api.example.com/v1\"")
	}
	if err := checkToken("URL", raw); err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("URL %q is not an absolute http or https URL", raw)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
