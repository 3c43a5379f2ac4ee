package validate

// Limits on single values. Each is far above what a real configuration
// needs, and low enough that every value fits in the unit files lychd writes
// (systemd refuses a unit with a line longer than 1 MiB) and costs nothing
// to check.
const (
	// MaxPathLen bounds a volume or device, like Linux's PATH_MAX.
	MaxPathLen = 4096
	// MaxValueLen bounds an environment variable's value and an exec
	// argument.
	MaxValueLen = 8 << 10
	// MaxEnvNameLen bounds an environment variable's name.
	MaxEnvNameLen = 255
)
