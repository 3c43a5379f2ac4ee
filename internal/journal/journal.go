// Package journal reads the last lines a systemd user unit logged, for
// error messages that show why a unit failed.
package journal

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// Tail returns the last n lines the user unit logged, oldest first, as
// `journalctl --user -u UNIT -n N` prints them (short-precise timestamps,
// no pager, no hint lines), without a trailing newline. It is "" when the
// unit logged nothing the user may read.
func Tail(ctx context.Context, unit string, n int) (string, error) {
	cmd := exec.CommandContext(ctx, "journalctl", "--user", "--unit", unit, "--lines", strconv.Itoa(n),
		"--no-pager", "--quiet", "--output", "short-precise")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("reading the journal of %s: journalctl: %w: %s", unit, err, strings.TrimSpace(stderr.String()))
	}
	s := strings.TrimRight(string(out), "\n")
	if s == "-- No entries --" {
		return "", nil
	}
	return s, nil
}
