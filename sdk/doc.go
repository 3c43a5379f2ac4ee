// Package sdk is what a lychd extension imports.
//
// An extension ("organ") is a separate executable. Its main function is one
// call:
//
//	func main() { sdk.Serve(&Organ{}) }
//
// lychd launches the binary during assimilation, asks for its Info, then calls
// Assimilate once with an Assimilation through which the extension adds runes
// (container definitions), registers Animators (logical providers with
// capabilities and tags) and may add inference-engine presets (package
// preset) for the user's soulstones. The extension must not print to stdout before
// Serve runs: lychd reads the plugin handshake there. Log through
// Assimilation.Logger; lychd records its lines, and anything the extension
// prints once Serve runs, attributed to the extension.
//
// Lifecycle: Info may be called several times and must be cheap and
// side-effect free. Assimilate is called at most once per launch, with a
// context that is cancelled at the host's assimilation deadline; it must
// return then. Everything an extension registers is validated by the host;
// an invalid registration fails the whole assimilation of that extension
// with an error naming it. A config table that does not fit is a
// *ConfigError, which lychd reports at the key's line of lychd.toml.
//
// Panics inside Info and Assimilate are recovered and reported to lychd as
// errors naming the panicking frames; a panic in a goroutine of your own
// still kills the process.
//
// Versions: the module is tagged sdk/vX.Y.Z, X.Y.Z being Version; whether
// lychd can run an extension depends on ProtocolVersion, which the plugin
// handshake negotiates. Within a protocol version messages only gain
// fields an older lychd may ignore without changing what a container does;
// anything else takes a new protocol version.
//
// Package plugintest runs an extension in-process or through its real binary
// so that authors can test it with go test, and checks it with every rule
// lychd applies to one extension (ValidateRune, ValidateAnimator and
// validate.Registrations). See README.md, and docs/extensions.md of the
// lychd repository for a tutorial.
package sdk
