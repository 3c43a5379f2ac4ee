package sdk

import "fmt"

// String returns "soulstone", "always-on" or "one-shot".
func (k RuneKind) String() string {
	switch k {
	case Soulstone:
		return "soulstone"
	case AlwaysOn:
		return "always-on"
	case OneShot:
		return "one-shot"
	}
	return fmt.Sprintf("RuneKind(%d)", int(k))
}

// MarshalText renders the kind as String does, so JSON and logs show names.
func (k RuneKind) MarshalText() ([]byte, error) {
	if k != Soulstone && k != AlwaysOn && k != OneShot {
		return nil, fmt.Errorf("unknown RuneKind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText parses "soulstone", "always-on" or "one-shot".
func (k *RuneKind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "soulstone":
		*k = Soulstone
	case "always-on":
		*k = AlwaysOn
	case "one-shot":
		*k = OneShot
	default:
		return fmt.Errorf("unknown rune kind %q; want \"soulstone\", \"always-on\" or \"one-shot\"", b)
	}
	return nil
}

// String returns "soulstone" or "portal".
func (k AnimatorKind) String() string {
	switch k {
	case AnimatorSoulstone:
		return "soulstone"
	case AnimatorPortal:
		return "portal"
	}
	return fmt.Sprintf("AnimatorKind(%d)", int(k))
}

// MarshalText renders the kind as String does.
func (k AnimatorKind) MarshalText() ([]byte, error) {
	if k != AnimatorSoulstone && k != AnimatorPortal {
		return nil, fmt.Errorf("unknown AnimatorKind %d", int(k))
	}
	return []byte(k.String()), nil
}

// UnmarshalText parses "soulstone" or "portal".
func (k *AnimatorKind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "soulstone":
		*k = AnimatorSoulstone
	case "portal":
		*k = AnimatorPortal
	default:
		return fmt.Errorf("unknown Animator kind %q; want \"soulstone\" or \"portal\"", b)
	}
	return nil
}
