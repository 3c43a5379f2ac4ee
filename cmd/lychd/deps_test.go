package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksNoPluginHost keeps lychd light: every warm bind, start and
// status pays its start-up, and the plugin host's packages (go-plugin,
// gRPC, protobuf) roughly double it. They belong in lychd-host.
func TestLinksNoPluginHost(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{
		"github.com/hashicorp/go-plugin",
		"google.golang.org/grpc",
		"google.golang.org/protobuf",
		"github.com/lychd/lychd/host",
		"github.com/lychd/lychd/host/launch",
		"github.com/lychd/lychd/sdk",
		"github.com/lychd/lychd/plugins/core",
	}
	deps := strings.Fields(string(out))
	for _, d := range deps {
		for _, f := range forbidden {
			if d == f || (strings.HasPrefix(d, f+"/") && !strings.HasPrefix(f, "github.com/lychd/")) {
				t.Errorf("lychd links %s; move what needs it to lychd-host", d)
			}
		}
	}
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %q", deps)
	}
}
