// Package shared holds what both ends of the extension protocol must agree
// on: the handshake cookie, the plugin name, message limits, how an
// extension's config table is decoded and how its panics are reported. The
// extension side (package sdk) and the host side (package wire) both use it,
// so that an extension behaves the same in-process and as a binary.
package shared

import (
	"fmt"
	"runtime"
	"strings"
)

const (
	// CookieKey is the environment variable go-plugin's handshake checks.
	CookieKey = "LYCHD_EXTENSION_MAGIC_COOKIE"
	// CookieValue is a fixed random value; it only tells a lychd extension
	// that it was launched by lychd, it is not a secret.
	CookieValue = "9d1c5f0e3a7b48c2b6e4f1a08c37d5e2"
	// PluginName is the name under which the extension is dispensed.
	PluginName = "extension"
	// MaxMessageBytes bounds every gRPC message in both directions (4 MiB,
	// gRPC's own default receive limit, set explicitly so that neither end
	// depends on go-plugin's or gRPC's defaults). A config table, an Info, a
	// rune or an Animator is a few kilobytes; the host's own limits are far
	// lower, so this only stops a runaway peer.
	MaxMessageBytes = 4 << 20
	// MaxConfigBytes bounds the JSON config table passed to Assimilate, with
	// room left for the rest of the request.
	MaxConfigBytes = MaxMessageBytes - 64<<10
)

// PanicFrames is how many stack frames a recovered panic reports.
const PanicFrames = 8

// Guard runs f and turns a panic inside it into an error naming method and
// the first frames of the panicking goroutine's stack, starting at the
// frame that panicked.
func Guard(method string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Method: method, Value: fmt.Sprint(p), Frames: panicFrames()}
		}
	}()
	return f()
}

// PanicError is a panic recovered inside an extension method.
type PanicError struct {
	Method string
	Value  string
	// Frames are "function (file:line)" entries, innermost first.
	Frames []string
}

// Error renders the panic and its frames on several lines.
func (e *PanicError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "extension panicked in %s: %s", e.Method, e.Value)
	for _, f := range e.Frames {
		b.WriteString("\n\t")
		b.WriteString(f)
	}
	return b.String()
}

// panicFrames returns up to PanicFrames frames of the panicking code,
// skipping the runtime's and Guard's own frames.
func panicFrames() []string {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var out []string
	started := false
	for {
		fr, more := frames.Next()
		if !started {
			// Everything up to and including runtime.gopanic is recovery
			// machinery; the panicking frame comes right after it.
			if fr.Function == "runtime.gopanic" {
				started = true
			}
			if !more {
				break
			}
			continue
		}
		if strings.HasSuffix(fr.Function, "/sdk/internal/shared.Guard") {
			break
		}
		if strings.HasPrefix(fr.Function, "runtime.") {
			// runtime.panicmem and friends for nil dereferences.
			if !more {
				break
			}
			continue
		}
		out = append(out, fmt.Sprintf("%s (%s:%d)", fr.Function, fr.File, fr.Line))
		if len(out) == PanicFrames || !more {
			break
		}
	}
	return out
}
