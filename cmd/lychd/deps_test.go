package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func deps(t *testing.T, tags string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-tags", tags, ".").Output()
	if err != nil {
		t.Fatalf("go list -deps -tags %q: %v", tags, err)
	}
	d := strings.Fields(string(out))
	if len(d) < 10 {
		t.Fatalf("go list -deps listed only %q", d)
	}
	return d
}

// TestSplitFormLinksNoPluginHost keeps the lychd_split form light: every
// warm bind, start and status pays its start-up, and the plugin host's
// packages (go-plugin, gRPC, protobuf) roughly double it. They belong in
// lychd-host.
func TestSplitFormLinksNoPluginHost(t *testing.T) {
	forbidden := []string{
		"github.com/hashicorp/go-plugin",
		"google.golang.org/grpc",
		"google.golang.org/protobuf",
		"github.com/lychd/lychd/host",
		"github.com/lychd/lychd/host/launch",
		"github.com/lychd/lychd/sdk",
		"github.com/lychd/lychd/plugins/core",
	}
	for _, d := range deps(t, "lychd_split") {
		for _, f := range forbidden {
			if d == f || (strings.HasPrefix(d, f+"/") && !strings.HasPrefix(f, "github.com/lychd/")) {
				t.Errorf("lychd (lychd_split) links %s; move what needs it to lychd-host", d)
			}
		}
	}
}

// TestDefaultFormIsSelfContained: a plain `go build ./cmd/lychd` must work
// without lychd-host, so it links the plugin host and the core.
func TestDefaultFormIsSelfContained(t *testing.T) {
	d := deps(t, "")
	for _, want := range []string{"github.com/lychd/lychd/host", "github.com/lychd/lychd/plugins/core", "github.com/hashicorp/go-plugin"} {
		if !slices.Contains(d, want) {
			t.Errorf("the default lychd does not link %s", want)
		}
	}
}
