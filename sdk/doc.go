// Package sdk is what a lychd extension imports.
//
// An extension ("organ") is a separate executable. Its main function is one
// call:
//
//	func main() { sdk.Serve(&Organ{}) }
//
// lychd launches the binary during assimilation, asks for its Info, then calls
// Assimilate once with an Assimilation through which the extension adds runes
// (container definitions) and registers Animators (logical providers with
// capabilities and tags). The extension must not print to stdout: lychd owns
// it for the plugin handshake. Log through Assimilation.Logger instead; its
// lines reach the host attributed to the extension.
//
// Lifecycle: Info may be called several times and must be cheap and
// side-effect free. Assimilate is called at most once per launch, with a
// context that is cancelled at the host's assimilation deadline. Everything an
// extension registers is validated by the host; an invalid registration fails
// the whole assimilation of that extension with an error naming it.
//
// Panics inside Info and Assimilate are recovered and reported to lychd as
// errors naming the panicking frames; a panic in a goroutine of your own
// still kills the process.
//
// Package plugintest runs an extension in-process or through its real binary
// so that authors can test it with go test; ValidateRune, ValidateAnimator
// and ValidateSet are the rules lychd applies to registrations. See
// README.md for a walk-through.
package sdk
