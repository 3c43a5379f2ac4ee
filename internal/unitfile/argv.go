package unitfile

import (
	"fmt"
	"strings"
)

// ExecStart returns the command line of a service the Quadlet generator
// wrote (for a .container, the podman run it starts): its one ExecStart=
// split into words as systemd splits them.
func ExecStart(service []byte) ([]string, error) {
	p, err := Parse(service)
	if err != nil {
		return nil, fmt.Errorf("parsing the generated service: %w", err)
	}
	vals := p.Get("Service", "ExecStart")
	if len(vals) != 1 {
		return nil, fmt.Errorf("the generated service has %d ExecStart= lines, want 1", len(vals))
	}
	words, err := SplitWords(vals[0])
	if err != nil {
		return nil, fmt.Errorf("splitting ExecStart=: %w", err)
	}
	return words, nil
}

// FlagValues returns the value of each occurrence of flag in argv, whether
// written as two words ("--env", "A=b") or one ("--env=A=b").
func FlagValues(argv []string, flag string) []string {
	var out []string
	for i := 0; i < len(argv); i++ {
		switch {
		case argv[i] == flag && i+1 < len(argv):
			out = append(out, argv[i+1])
			i++
		case strings.HasPrefix(argv[i], flag+"="):
			out = append(out, strings.TrimPrefix(argv[i], flag+"="))
		}
	}
	return out
}
