package unitfile

import (
	"slices"
	"testing"
)

func TestFlagValues(t *testing.T) {
	argv := []string{"podman", "run", "--env", "A=1", "--env=B=2", "--name", "x", "--envy", "no", "--env"}
	if got, want := FlagValues(argv, "--env"), []string{"A=1", "B=2"}; !slices.Equal(got, want) {
		t.Errorf("FlagValues(--env) = %q, want %q", got, want)
	}
	if got := FlagValues(argv, "--device"); got != nil {
		t.Errorf("FlagValues(--device) = %q, want none", got)
	}
}

func TestExecStartWords(t *testing.T) {
	argv, err := ExecStart([]byte("[Service]\nExecStart=/usr/bin/podman run \"--name=a b\" --env 'X=$Y'\n"))
	if want := []string{"/usr/bin/podman", "run", "--name=a b", "--env", "X=$Y"}; err != nil || !slices.Equal(argv, want) {
		t.Errorf("ExecStart = %q, %v; want %q", argv, err, want)
	}
	if _, err := ExecStart([]byte("[Service]\nExecStart=a\nExecStart=b\n")); err == nil || err.Error() != "the generated service has 2 ExecStart= lines, want 1" {
		t.Errorf("two ExecStart= lines: %v", err)
	}
}
