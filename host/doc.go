// Package host is lychd's plugin host: it installs extension binaries,
// verifies and launches them over go-plugin (gRPC), collects and validates
// the runes and Animators they register, and guarantees that no extension
// process outlives it.
//
// Layout under the extensions directory (paths.ExtensionsDir()):
//
//	extensions.lock.json         name -> version, protocol, sha256, size, install time, source
//	.extensions.lock.flock       flock(2) target: exclusive for install/remove, shared for assimilation
//	NAME/lychd-ext-NAME          one binary per extension, mode 0755
//
// The lock file is the source of truth: an extension is installed when the
// lock lists it. Anything else in the directory is ignored and never
// executed (Discover reports it).
//
// Lifecycle of one assimilation (Assimilate):
//
//  1. Take the shared flock, read the lock, refuse config tables of
//     extensions that are not installed, and for each extension (at most
//     Options.Parallel at once, in name order, the in-process core first):
//  2. Consult the registration cache (package cache): a hit returns the
//     stored registration without launching or hashing anything. The
//     core's registration is cached too, keyed by the host fingerprint and
//     its configuration.
//  3. Open the binary, hash the open descriptor, compare with the lock, and
//     execute that descriptor through /proc/self/fd (package launch), in its
//     own process group, user namespace and PID namespace, with a
//     parent-death signal, a minimal environment and the handshake bounded
//     by Options.StartTimeout.
//  4. Ask Info, check the name against the lock, run Assimilate with the
//     extension's config; every registration goes through a registry.Collector
//     (size limits and the SDK's rules, package sdk/validate) as it arrives.
//  5. End the plugin on every path: a bounded graceful shutdown after
//     success (in the background, so the next extension starts at once), an
//     immediate kill of the process group after a failure. What it wrote
//     (log lines, stderr, stdout) is kept as its Log in Options.LogDir.
//
// Any failure (crash, hang, deadline, handshake, protocol, refused
// registration, panic) becomes one *failure.Error naming the extension,
// what it did and the tail of its stderr; all of them are returned together
// sorted by name, and no Result is returned.
package host
