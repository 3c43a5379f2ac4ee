// Package validate holds lychd's rules for the values that end up in
// generated unit files: the value rules (names, unit names, devices, images,
// ports, volumes, environment variables, identifiers, URLs), the rune rules
// that combine them (CheckRune for one rune, CheckSet for one source's runes
// together) and the limits (limits.go, Tally for the whole Sepulcher).
//
// These are THE rules: the user's Codex, the registry that receives what
// extensions register, and extension authors (through sdk.ValidateRune,
// sdk.Registration and plugintest) all apply them, and map their results to
// their own wording (a Codex file and line, an extension's name). This
// package lives in the SDK module so that every one of them can. Every
// function is pure and returns nil or an error whose text says what is
// wrong and how to fix it, separated by "; ". The error text never names
// the key or file: callers add that context.
//
// The rules are deliberately stricter than Podman and systemd: a value that
// passes can be written into a Quadlet or systemd unit without Quadlet
// splitting, unquoting or taking it for one of its own units, and without
// any systemd specifier, variable, line break or option injection ("-"
// prefix) reaching the generated unit (docs/units.md has the table; the
// tests in internal/scribe check it with the real Quadlet generator).
package validate

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the longest rune, coven, extension or animator name.
const MaxNameLen = 63

// Name checks a rune, soulstone, coven, portal, extension or Animator name:
// a lower-case letter followed by up to 62 lower-case letters, digits and
// single dashes, not ending in a dash. Such a name always yields valid
// systemd unit names (lychd-soulstone-NAME.service, lychd-coven-NAME.target)
// and can never smuggle a path, a specifier or a line break into a unit.
func Name(s string) error {
	const how = `use 1 to 63 characters: a lower-case letter, then a-z, 0-9 and single "-" (e.g. "vision-analyzer")`
	switch {
	case s == "":
		return fmt.Errorf("name is empty; %s", how)
	case len(s) > MaxNameLen:
		return fmt.Errorf("name %s is %d characters long; %s", quote(s), len(s), how)
	case s[0] < 'a' || s[0] > 'z':
		return fmt.Errorf("name %s does not start with a lower-case letter; %s", quote(s), how)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			if c >= 'A' && c <= 'Z' {
				return fmt.Errorf("name %s has an upper-case letter; use %s instead", quote(s), quote(strings.ToLower(s)))
			}
			return fmt.Errorf("name %s contains %s; %s", quote(s), describeByte(s, i), how)
		}
	}
	if strings.Contains(s, "--") {
		return fmt.Errorf("name %s contains \"--\"; use single dashes between words", quote(s))
	}
	if strings.HasSuffix(s, "-") {
		return fmt.Errorf("name %s ends with \"-\"; end it with a letter or digit", quote(s))
	}
	return nil
}

// Names of the runes lychd's core registers. No other source may register
// a rune of one of these names.
const (
	CoreVessel     = "vessel"
	CorePhylactery = "phylactery"
	CoreOculus     = "oculus"
	// CoreHarvester and CoreGrafana are the Watchers, which the core
	// registers only when [core.watchers] is enabled; their names are
	// reserved even while it is off, so that turning it on never clashes.
	CoreHarvester = "harvester"
	CoreGrafana   = "grafana"
	// CoreMigrate is the one-shot that upgrades the Phylactery's schema
	// before the Vessel starts.
	CoreMigrate = "migrate"
)

// NotCoreRune checks that a rune of the Codex or of an extension is not
// called like one of the core's runes (CoreVessel, CorePhylactery,
// CoreOculus, CoreMigrate), which every Sepulcher has, or like one of the Watchers
// (CoreHarvester, CoreGrafana), which the core adds when asked.
func NotCoreRune(name string) error {
	switch name {
	case CoreVessel, CorePhylactery, CoreOculus, CoreMigrate:
		return fmt.Errorf("name %s is taken by one of lychd's core runes (%s, %s, %s, %s); pick another name", quote(name), CoreVessel, CorePhylactery, CoreOculus, CoreMigrate)
	case CoreHarvester, CoreGrafana:
		return fmt.Errorf("name %s is taken by one of lychd's core runes, the Watchers (%s, %s), even while [core.watchers] is off; pick another name", quote(name), CoreHarvester, CoreGrafana)
	}
	return nil
}

// AlwaysOnName checks the name of an always-on rune: a valid Name whose
// unit, lychd-NAME.service, can never be taken for the pod's
// (lychd-pod.service), a soulstone's (lychd-soulstone-NAME.service), a
// coven's (lychd-coven-NAME.target) or a hold's (lychd-hold-KEY.target).
func AlwaysOnName(name string) error {
	if err := Name(name); err != nil {
		return err
	}
	if name == "pod" {
		return errors.New(`name "pod" would give the always-on rune the unit lychd-pod.service, which is the pod's own; pick another name`)
	}
	// lychd names its soulstone, coven and hold units lychd-soulstone-NAME,
	// lychd-coven-NAME and lychd-hold-KEY, and an always-on rune's
	// lychd-NAME.
	for _, p := range [...]string{"soulstone-", "coven-", "hold-"} {
		if strings.HasPrefix(name, p) {
			return fmt.Errorf("name %s starts with %q, which lychd keeps for its own units (lychd-%sNAME); pick another name for the always-on rune", quote(name), p, p)
		}
	}
	return nil
}

// unitSuffixes are the unit types a dependency may name.
var unitSuffixes = []string{
	".service", ".target", ".socket", ".mount", ".path", ".timer",
	".device", ".slice", ".scope", ".swap", ".automount",
}

// UnitName checks a full systemd unit name as used in After=, Wants= and
// Requires=, e.g. "lychd-soulstone-vision-preprocessor.service" or
// "network-online.target". Template instances ("getty@tty1.service") are
// allowed; "%" specifiers, paths and unit names without a known type suffix
// are not.
func UnitName(s string) error {
	const how = `write a full unit name such as "lychd-soulstone-NAME.service" or "network-online.target"`
	switch {
	case s == "":
		return fmt.Errorf("unit name is empty; %s", how)
	case len(s) > 255:
		return fmt.Errorf("unit name %s is %d characters long; systemd allows at most 255", quote(s), len(s))
	case strings.ContainsRune(s, '/'):
		return fmt.Errorf("unit name %s contains \"/\"; name the unit, not its file path (e.g. \"foo.service\")", quote(s))
	case strings.ContainsRune(s, '%'):
		return fmt.Errorf("unit name %s contains \"%%\"; systemd specifiers are not allowed, write the name out in full", quote(s))
	case strings.ContainsRune(s, '\\'):
		return fmt.Errorf("unit name %s contains a backslash; escaped unit names (systemd-escape) are not supported, name a unit that needs no escaping", quote(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && !strings.ContainsRune(":_.@-", rune(c)) {
			return fmt.Errorf("unit name %s contains %s; unit names use only letters, digits and : _ . @ -", quote(s), describeByte(s, i))
		}
	}
	suffix := ""
	for _, sfx := range unitSuffixes {
		if strings.HasSuffix(s, sfx) {
			suffix = sfx
			break
		}
	}
	if suffix == "" {
		return fmt.Errorf("unit name %s has no unit type suffix; %s (known suffixes: %s)", quote(s), how, strings.Join(unitSuffixes, " "))
	}
	prefix := strings.TrimSuffix(s, suffix)
	switch {
	case prefix == "":
		return fmt.Errorf("unit name %s has only a suffix; %s", quote(s), how)
	case prefix[0] == '-' || prefix[0] == '.':
		return fmt.Errorf("unit name %s starts with %q; start it with a letter or digit", quote(s), prefix[:1])
	case strings.Count(prefix, "@") > 1:
		return fmt.Errorf("unit name %s contains more than one \"@\"; a template instance looks like \"name@instance%s\"", quote(s), suffix)
	case strings.HasPrefix(prefix, "@"):
		return fmt.Errorf("unit name %s has an empty template name before \"@\"; write \"name@instance%s\"", quote(s), suffix)
	}
	return nil
}

// CDIDevice checks a fully qualified Container Device Interface name,
// "vendor.com/class=name", e.g. "nvidia.com/gpu=all" or "amd.com/gpu=0".
// Vendor and class start with a letter, end with a letter or digit and use
// letters, digits, "_", "." and "-"; the device name starts and ends with a
// letter or digit and may also contain ":". A leading "-" is always refused:
// Quadlet reads "AddDevice=-X" as an optional device path and silently drops
// a CDI name written that way.
func CDIDevice(s string) error {
	const how = `write a CDI name such as "nvidia.com/gpu=all" (list yours with "nvidia-ctk cdi list" or look in /etc/cdi)`
	if s == "" {
		return fmt.Errorf("device is empty; %s", how)
	}
	if s[0] == '-' {
		return fmt.Errorf("device %s starts with \"-\"; Quadlet would treat it as an optional device path and drop it, remove the \"-\"", quote(s))
	}
	slash := strings.IndexByte(s, '/')
	eq := strings.IndexByte(s, '=')
	if slash < 0 || eq < 0 || eq < slash {
		return fmt.Errorf("device %s is not a CDI name of the form vendor/class=name; %s", quote(s), how)
	}
	vendor, class, name := s[:slash], s[slash+1:eq], s[eq+1:]
	if err := cdiVendorOrClass("vendor", vendor); err != nil {
		return fmt.Errorf("device %s: %w; %s", quote(s), err, how)
	}
	if err := cdiVendorOrClass("class", class); err != nil {
		return fmt.Errorf("device %s: %w; %s", quote(s), err, how)
	}
	if err := cdiDeviceName(name); err != nil {
		return fmt.Errorf("device %s: %w; %s", quote(s), err, how)
	}
	return nil
}

func cdiVendorOrClass(what, s string) error {
	if s == "" {
		return fmt.Errorf("the %s is empty", what)
	}
	if !isLetter(s[0]) {
		return fmt.Errorf("the %s %s does not start with a letter", what, quote(s))
	}
	if !isAlnum(s[len(s)-1]) {
		return fmt.Errorf("the %s %s does not end with a letter or digit", what, quote(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return fmt.Errorf("the %s %s contains %s", what, quote(s), describeByte(s, i))
		}
	}
	return nil
}

func cdiDeviceName(s string) error {
	if s == "" {
		return fmt.Errorf("the device name after \"=\" is empty")
	}
	if !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return fmt.Errorf("the device name %s does not start and end with a letter or digit", quote(s))
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' && c != ':' {
			return fmt.Errorf("the device name %s contains %s", quote(s), describeByte(s, i))
		}
	}
	return nil
}

// Device checks a device for a rune: either a CDI name (see CDIDevice) or a
// host device path under /dev, optionally followed by ":CONTAINER_PATH" and
// ":PERMISSIONS" (a combination of r, w, m), as Podman's --device accepts,
// e.g. "/dev/dri" or "/dev/kfd:/dev/kfd:rw". Paths are for GPUs without a
// CDI specification (e.g. AMD or Intel through /dev/dri); prefer CDI names.
//
// Quadlet splits AddDevice= on white space and removes quotes (and a
// leading "-" makes a device optional), so a device path may use only
// letters, digits and / . _ + -, and at most MaxPathLen bytes.
func Device(s string) error {
	if !strings.HasPrefix(s, "/") {
		return CDIDevice(s)
	}
	const how = `write a device path such as "/dev/dri" or "/dev/dri:/dev/dri:rw", or a CDI name such as "nvidia.com/gpu=all"`
	if len(s) > MaxPathLen {
		return fmt.Errorf("device is %d bytes long; the limit is %d", len(s), MaxPathLen)
	}
	if err := plainText("device", s); err != nil {
		return err
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && !strings.ContainsRune("/._+-:", rune(c)) {
			return fmt.Errorf("device %s contains %s; Quadlet splits device values on white space and removes quotes and backslashes, so a device path may use only letters, digits and / . _ + -", quote(s), describeByte(s, i))
		}
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return fmt.Errorf("device %s has more than three \":\"-separated parts; %s", quote(s), how)
	}
	for i, p := range parts[:min(len(parts), 2)] {
		if !strings.HasPrefix(p, "/dev/") || len(p) == len("/dev/") {
			which := "host path"
			if i == 1 {
				which = "container path"
			}
			return fmt.Errorf("device %s: the %s %s is not under /dev/; %s", quote(s), which, quote(p), how)
		}
		if strings.Contains(p, "/../") || strings.HasSuffix(p, "/..") {
			return fmt.Errorf("device %s: the path %s contains \"..\"; write the path without \"..\"", quote(s), quote(p))
		}
	}
	if len(parts) == 3 {
		perm := parts[2]
		if perm == "" || strings.Trim(perm, "rwm") != "" {
			return fmt.Errorf("device %s: permissions %s must combine r, w and m (e.g. \"rw\"); %s", quote(s), quote(perm), how)
		}
	}
	return nil
}

// MaxImageLen bounds an image reference.
const MaxImageLen = 1024

// Image checks a container image reference such as
// "docker.io/library/alpine:3.20" or "ghcr.io/org/app@sha256:...". Only the
// characters that can occur in a reference are allowed (letters, digits and
// . _ - / : @ [ ] +), it may not start with "-", it may be at most 1024
// characters long, and it may not end in ".image" or ".build": Quadlet reads
// such a value as the name of one of its own unit files, which lychd does
// not write, and generates no service. The syntax is not checked further:
// Podman reports a malformed reference when it pulls.
func Image(s string) error {
	const how = `write a reference such as "docker.io/library/alpine:3.20"`
	switch {
	case s == "":
		return fmt.Errorf("image is empty; %s", how)
	case len(s) > MaxImageLen:
		return fmt.Errorf("image reference is %d characters long; the limit is %d", len(s), MaxImageLen)
	case s[0] == '-':
		return fmt.Errorf("image %s starts with \"-\"; Podman would read it as an option, %s", quote(s), how)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && !strings.ContainsRune("._-/:@[]+", rune(c)) {
			return fmt.Errorf("image %s contains %s; %s (only letters, digits and . _ - / : @ [ ] + are allowed)", quote(s), describeByte(s, i), how)
		}
	}
	for _, sfx := range []string{".image", ".build"} {
		if strings.HasSuffix(s, sfx) {
			return fmt.Errorf("image %s ends in %q; Quadlet reads such an image as the name of one of its own %s units, which lychd does not write, and would generate no service: %s", quote(s), sfx, sfx, how)
		}
	}
	return nil
}

// Port checks a TCP/UDP port number: 1 to 65535.
func Port(n int) error {
	if n < 1 || n > 65535 {
		return fmt.Errorf("port %d is out of range; use a number from 1 to 65535", n)
	}
	return nil
}

// MaxStartTimeout bounds a rune's start timeout.
const MaxStartTimeout = 24 * time.Hour

// StartTimeout checks a rune's start timeout (systemd's TimeoutStartSec=):
// whole seconds from 1 s to MaxStartTimeout. Zero (systemd's default) is
// the caller's to allow.
func StartTimeout(d time.Duration) error {
	if d < time.Second || d > MaxStartTimeout || d%time.Second != 0 {
		return fmt.Errorf("start timeout %v is not a whole number of seconds from 1s to 24h; pulling the image on first start counts, so allow for it (e.g. 15m)", d)
	}
	return nil
}

// StartTimeoutSeconds checks a start timeout given in whole seconds, as the
// Codex's start_timeout_seconds is: the rule of StartTimeout.
func StartTimeoutSeconds(n int64) error {
	if limit := int64(MaxStartTimeout / time.Second); n < 1 || n > limit {
		return fmt.Errorf("%d is out of range; a start timeout in seconds (an image pull on first start counts) must be from 1 to %d", n, limit)
	}
	return nil
}

// Volume checks a Podman volume spec "SRC:DST[:OPTIONS]". SRC is an absolute
// host path or a named volume (letters, digits, "_", "." and "-", starting
// with a letter or digit, e.g. "models"); DST is an absolute path in the
// container; OPTIONS is a comma-separated list such as "ro,Z". Spaces,
// control characters, "%" and "~" are refused: Podman does not expand "~"
// and "%" would be a systemd specifier. A volume may be at most MaxPathLen
// bytes long.
//
// What Quadlet does with the value decides the rest: it copies a host path
// into the unit's RequiresMountsFor=, where systemd removes quotes and
// backslashes and does not expand "$" (Podman gets the path as written), so
// a host path may not contain quotes, backslashes or "$"; it reads a volume
// name ending in ".volume" as one of its own .volume units; and it strips
// trailing white space and reads a trailing backslash as a line
// continuation.
func Volume(s string) error {
	const how = `write "SRC:DST[:OPTIONS]" with SRC an absolute host path or a volume name, e.g. "/srv/models:/models:ro,Z" or "models:/models"`
	if s == "" {
		return fmt.Errorf("volume is empty; %s", how)
	}
	if len(s) > MaxPathLen {
		return fmt.Errorf("volume is %d bytes long; the limit is %d", len(s), MaxPathLen)
	}
	if err := plainText("volume", s); err != nil {
		return err
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			return fmt.Errorf("volume %s contains a space; paths with spaces are not supported, link the directory from a path without spaces", quote(s))
		case '%':
			return fmt.Errorf("volume %s contains \"%%\"; systemd specifiers are not allowed, write the absolute path out", quote(s))
		}
	}
	if err := lineEnds("volume", s); err != nil {
		return err
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 {
		return fmt.Errorf("volume %s has no container path; %s", quote(s), how)
	}
	if len(parts) > 3 {
		return fmt.Errorf("volume %s has more than three \":\"-separated parts; %s", quote(s), how)
	}
	src, dst := parts[0], parts[1]
	switch {
	case src == "":
		return fmt.Errorf("volume %s has an empty source; %s", quote(s), how)
	case strings.HasPrefix(src, "~"):
		return fmt.Errorf("volume %s: source %s starts with \"~\", which Podman does not expand; write the absolute path", quote(s), quote(src))
	case strings.HasPrefix(src, "."):
		return fmt.Errorf("volume %s: source %s is a relative path; write the absolute path", quote(s), quote(src))
	case src[0] == '/':
		if err := HostPath(src); err != nil {
			return fmt.Errorf("volume %s: %w", quote(s), err)
		}
	default:
		if !isAlnum(src[0]) {
			return fmt.Errorf("volume %s: volume name %s must start with a letter or digit; %s", quote(s), quote(src), how)
		}
		for i := 0; i < len(src); i++ {
			if c := src[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
				return fmt.Errorf("volume %s: source %s is neither an absolute path nor a volume name (it contains %s); %s", quote(s), quote(src), describeByte(src, i), how)
			}
		}
		if strings.HasSuffix(src, ".volume") {
			return fmt.Errorf("volume %s: volume name %s ends in \".volume\"; Quadlet reads it as the name of one of its own .volume units, which lychd does not write, and would generate no service: drop the \".volume\"", quote(s), quote(src))
		}
	}
	if !strings.HasPrefix(dst, "/") {
		return fmt.Errorf("volume %s: container path %s is not absolute; start it with \"/\"", quote(s), quote(dst))
	}
	if strings.ContainsRune(s, '"') {
		return fmt.Errorf("volume %s contains a double quote, which Quadlet strips at the ends of values; use a path without it", quote(s))
	}
	if len(parts) == 3 {
		for _, opt := range strings.Split(parts[2], ",") {
			if opt == "" {
				return fmt.Errorf("volume %s has an empty option; separate options with single commas, e.g. \"ro,Z\"", quote(s))
			}
			if opt[0] == '-' {
				return fmt.Errorf("volume %s: option %s starts with \"-\"; write options such as \"ro\" or \"Z\"", quote(s), quote(opt))
			}
		}
	}
	return nil
}

// HostPath checks the host side of a bind mount: an absolute path of at most
// MaxPathLen bytes without control characters, spaces, "%" (a systemd
// specifier) or ":" (the volume separator). Quadlet copies a host path into
// the unit's RequiresMountsFor=, where systemd removes quotes and
// backslashes and does not expand "$" (Podman gets the path as written), so
// quotes, backslashes and "$" are refused too.
func HostPath(s string) error {
	if !strings.HasPrefix(s, "/") {
		return fmt.Errorf("host path %s is not absolute; start it with \"/\"", quote(s))
	}
	if len(s) > MaxPathLen {
		return fmt.Errorf("host path is %d bytes long; the limit is %d", len(s), MaxPathLen)
	}
	if err := plainText("host path", s); err != nil {
		return err
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ':
			return fmt.Errorf("host path %s contains a space; paths with spaces are not supported, link the directory from a path without spaces", quote(s))
		case '%':
			return fmt.Errorf("host path %s contains \"%%\"; systemd specifiers are not allowed, write the absolute path out", quote(s))
		case ':':
			return fmt.Errorf("host path %s contains \":\", which separates the parts of a volume; link the directory from a path without it", quote(s))
		case '"', '\'', '\\', '$':
			return fmt.Errorf("host path %s contains %s; Quadlet copies the host path into the unit's RequiresMountsFor=, where systemd reads quotes, backslashes and \"$\" differently from Podman: use a path without them (link the directory from one)", quote(s), describeByte(s, i))
		}
	}
	return lineEnds("host path", s)
}

// EnvName checks an environment variable name: a letter or "_" followed by
// letters, digits and "_", at most MaxEnvNameLen bytes.
func EnvName(s string) error {
	const how = `use letters, digits and "_", not starting with a digit (e.g. "HF_HOME")`
	if s == "" {
		return fmt.Errorf("environment variable name is empty; %s", how)
	}
	if len(s) > MaxEnvNameLen {
		return fmt.Errorf("environment variable name is %d bytes long; the limit is %d", len(s), MaxEnvNameLen)
	}
	if !isLetter(s[0]) && s[0] != '_' {
		return fmt.Errorf("environment variable name %s does not start with a letter or \"_\"; %s", quote(s), how)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' {
			return fmt.Errorf("environment variable name %s contains %s; %s", quote(s), describeByte(s, i), how)
		}
	}
	return nil
}

// EnvValue checks an environment variable value: valid UTF-8 without
// control characters, at most MaxValueLen bytes. Any other character is
// allowed; the unit writer quotes and escapes it.
func EnvValue(s string) error {
	if len(s) > MaxValueLen {
		return fmt.Errorf("value is %d bytes long; the limit is %d bytes (put longer text in a file and mount it)", len(s), MaxValueLen)
	}
	return plainText("value", s)
}

// ExecArg checks one argument of a rune's exec vector: valid UTF-8 without
// control characters, at most MaxValueLen bytes, not empty and not the
// word ";". Quadlet 5.4 cannot pass either: it drops an empty argument
// together with every argument after it, and writes ";" unquoted into
// ExecStart=, where systemd reads it as a command separator.
func ExecArg(s string) error {
	switch {
	case s == "":
		return errors.New("argument is empty; Quadlet drops an empty argument together with every argument after it, leave it out or use a placeholder")
	case s == ";":
		return errors.New(`argument ";" cannot be passed: Quadlet writes it unquoted into the service, where systemd reads it as a command separator; attach it to a neighbouring argument (e.g. "--sep=;")`)
	case len(s) > MaxValueLen:
		return fmt.Errorf("argument is %d bytes long; the limit is %d bytes (put longer text in a file and mount it)", len(s), MaxValueLen)
	}
	return plainText("argument", s)
}

// MaxDescriptionLen bounds a description.
const MaxDescriptionLen = 1024

// Description checks a one-line human description: valid UTF-8, no control
// characters (so no line breaks), no white space at either end and no
// trailing backslash (Quadlet and systemd strip the one and read the other
// as a line continuation), at most 1024 bytes.
func Description(s string) error {
	if len(s) > MaxDescriptionLen {
		return fmt.Errorf("description is %d bytes long; keep it to one line of at most %d bytes", len(s), MaxDescriptionLen)
	}
	if err := plainText("description", s); err != nil {
		return err
	}
	return lineEnds("description", s)
}

// MaxIdentLen bounds a capability or tag.
const MaxIdentLen = 64

// Capability checks a capability (a calling convention such as
// "OpenAIChatCompletions" or "TTS").
func Capability(s string) error { return ident("capability", "OpenAIChatCompletions", s) }

// Tag checks a tag (an ability used for routing such as "vision" or
// "tools").
func Tag(s string) error { return ident("tag", "vision", s) }

func ident(what, example, s string) error {
	how := fmt.Sprintf(`start with a letter and use letters, digits, "_", "." and "-", at most %d characters (e.g. %q)`, MaxIdentLen, example)
	switch {
	case s == "":
		return fmt.Errorf("%s is empty; %s", what, how)
	case len(s) > MaxIdentLen:
		return fmt.Errorf("%s %s is %d characters long; %s", what, quote(s), len(s), how)
	case !isLetter(s[0]):
		return fmt.Errorf("%s %s does not start with a letter; %s", what, quote(s), how)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return fmt.Errorf("%s %s contains %s; %s", what, quote(s), describeByte(s, i), how)
		}
	}
	return nil
}

// URL checks a portal endpoint: an absolute http or https URL with a host,
// without whitespace or control characters, e.g.
// "https://api.openai.com/v1".
func URL(s string) error {
	const how = `write an absolute URL such as "https://api.example.com/v1"`
	if s == "" {
		return fmt.Errorf("URL is empty; %s", how)
	}
	if err := plainText("URL", s); err != nil {
		return err
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return fmt.Errorf("URL %s contains whitespace; percent-encode it as %%20 or remove it", quote(s))
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("URL %s does not parse (%v); %s", quote(s), unwrapURLError(err), how)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		if u.Scheme == "" {
			return fmt.Errorf("URL %s has no scheme; %s", quote(s), how)
		}
		return fmt.Errorf("URL %s has scheme %q; use http or https", quote(s), u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("URL %s has no host; %s", quote(s), how)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("URL %s has port %s out of range; use a port from 1 to 65535", quote(s), p)
		}
	}
	return nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// UserNS checks a pod user namespace mode: "keep-id" (the default),
// "keep-id:uid=N,gid=N" (either option may be left out), "auto", "host" or
// "nomap".
func UserNS(s string) error {
	const how = `use "keep-id", "keep-id:uid=N,gid=N", "auto", "host" or "nomap"`
	switch s {
	case "keep-id", "auto", "host", "nomap":
		return nil
	case "":
		return fmt.Errorf("user namespace mode is empty; %s", how)
	}
	opts, ok := strings.CutPrefix(s, "keep-id:")
	if !ok {
		return fmt.Errorf("user namespace mode %s is not supported; %s", quote(s), how)
	}
	seen := map[string]bool{}
	for _, opt := range strings.Split(opts, ",") {
		k, v, ok := strings.Cut(opt, "=")
		if !ok || (k != "uid" && k != "gid") {
			return fmt.Errorf("user namespace mode %s has option %s; keep-id takes only uid=N and gid=N, e.g. \"keep-id:uid=1000,gid=1000\"", quote(s), quote(opt))
		}
		if seen[k] {
			return fmt.Errorf("user namespace mode %s sets %s twice; give it once", quote(s), k)
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || v[0] == '+' || n == 1<<32-1 {
			return fmt.Errorf("user namespace mode %s: %s=%s is not a user or group id; use a decimal number such as 1000", quote(s), k, quote(v))
		}
	}
	return nil
}

// IPAddress checks a host address to publish ports on: an IPv4 or IPv6
// address without zone, e.g. "127.0.0.1", "0.0.0.0" or "::1".
func IPAddress(s string) error {
	if net.ParseIP(s) == nil {
		return fmt.Errorf("address %s is not an IP address; use e.g. \"127.0.0.1\" (this host only) or \"0.0.0.0\" (all interfaces)", quote(s))
	}
	return nil
}

// PublishPort checks an extra port mapping of the pod: "HOST:CONTAINER",
// "IP:HOST:CONTAINER" or "[IPv6]:HOST:CONTAINER", each optionally followed
// by "/tcp" or "/udp", e.g. "8080:80" or "127.0.0.1:5432:5432/tcp".
func PublishPort(s string) error {
	_, _, _, _, err := ParsePublishPort(s)
	return err
}

// ParsePublishPort splits a port mapping accepted by PublishPort into its
// address (empty when not given, without IPv6 brackets), host port,
// container port and protocol (empty when not given).
func ParsePublishPort(s string) (ip string, host, container int, proto string, err error) {
	const how = `write "HOST:CONTAINER" or "IP:HOST:CONTAINER", optionally with "/tcp" or "/udp", e.g. "8080:80"`
	if e := plainText("port mapping", s); e != nil {
		return "", 0, 0, "", e
	}
	rest := s
	if i := strings.LastIndexByte(rest, '/'); i >= 0 {
		proto = rest[i+1:]
		rest = rest[:i]
		if proto != "tcp" && proto != "udp" {
			return "", 0, 0, "", fmt.Errorf("port mapping %s has protocol %s; use \"tcp\" or \"udp\"", quote(s), quote(proto))
		}
	}
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return "", 0, 0, "", fmt.Errorf("port mapping %s has an unterminated IPv6 address; %s", quote(s), how)
		}
		ip, rest = rest[1:end], rest[end+2:]
		if p := net.ParseIP(ip); p == nil || p.To4() != nil {
			return "", 0, 0, "", fmt.Errorf("port mapping %s: %s is not an IPv6 address; %s", quote(s), quote(ip), how)
		}
	}
	parts := strings.Split(rest, ":")
	switch {
	case len(parts) == 3 && ip == "":
		ip = parts[0]
		if p := net.ParseIP(ip); p == nil || p.To4() == nil {
			return "", 0, 0, "", fmt.Errorf("port mapping %s: %s is not an IPv4 address (write IPv6 addresses in brackets); %s", quote(s), quote(ip), how)
		}
		parts = parts[1:]
	case len(parts) != 2:
		return "", 0, 0, "", fmt.Errorf("port mapping %s is not of the form HOST:CONTAINER; %s", quote(s), how)
	}
	ports := [2]int{}
	for i, p := range parts {
		n, e := strconv.Atoi(p)
		if e != nil || p[0] == '+' || p[0] == '-' {
			return "", 0, 0, "", fmt.Errorf("port mapping %s: %s is not a port number; %s", quote(s), quote(p), how)
		}
		if e := Port(n); e != nil {
			return "", 0, 0, "", fmt.Errorf("port mapping %s: %w", quote(s), e)
		}
		ports[i] = n
	}
	return ip, ports[0], ports[1], proto, nil
}

// lineEnds refuses what Quadlet and systemd change at the end of a value:
// leading or trailing white space (Quadlet trims every line of Unicode
// white space) and a trailing backslash (a line continuation).
func lineEnds(what, s string) error {
	if s == "" {
		return nil
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	switch {
	case unicode.IsSpace(first):
		return fmt.Errorf("%s %s starts with white space, which Quadlet and systemd strip; remove it", what, quote(s))
	case unicode.IsSpace(last):
		return fmt.Errorf("%s %s ends in white space, which Quadlet and systemd strip; remove it", what, quote(s))
	case strings.HasSuffix(s, `\`):
		return fmt.Errorf("%s %s ends in a backslash, which Quadlet and systemd read as a line continuation; remove it", what, quote(s))
	}
	return nil
}

// plainText refuses invalid UTF-8 and control characters (including line
// breaks and tabs), which have no place in a single unit file value.
func plainText(what, s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return fmt.Errorf("%s is not valid UTF-8 (at byte %d); save the file as UTF-8", what, i)
			}
		}
		if unicode.IsControl(r) {
			return fmt.Errorf("%s %s contains the control character %U; remove it (values must fit on one line)", what, quote(s), r)
		}
	}
	return nil
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isAlnum(c byte) bool  { return isLetter(c) || (c >= '0' && c <= '9') }

// describeByte names the character at byte i of s for an error message.
func describeByte(s string, i int) string {
	r, _ := utf8.DecodeRuneInString(s[i:])
	switch {
	case r == utf8.RuneError:
		return fmt.Sprintf("the invalid byte 0x%02x", s[i])
	case r == ' ':
		return "a space"
	case unicode.IsControl(r) || unicode.IsSpace(r):
		return fmt.Sprintf("the character %U", r)
	}
	return fmt.Sprintf("%q", r)
}

// quote renders a value for an error message, shortened when long.
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
