package wire

import (
	"os/exec"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/lychd/lychd/sdk"
)

func TestHandshakeAndConfig(t *testing.T) {
	h := Handshake()
	if h.ProtocolVersion != sdk.ProtocolVersion || h.MagicCookieKey != "LYCHD_EXTENSION_MAGIC_COOKIE" || len(h.MagicCookieValue) != 32 {
		t.Errorf("Handshake = %+v", h)
	}
	vp := VersionedPlugins()
	if len(vp) != len(HostProtocolVersions()) {
		t.Errorf("VersionedPlugins has versions %v, HostProtocolVersions says %v", vp, HostProtocolVersions())
	}
	for _, v := range HostProtocolVersions() {
		if _, ok := vp[v][PluginName].(plugin.GRPCPlugin); !ok {
			t.Errorf("version %d has no gRPC plugin named %q", v, PluginName)
		}
	}
	cfg := ClientConfig(exec.Command("/bin/true"), hclog.NewNullLogger())
	if len(cfg.AllowedProtocols) != 1 || cfg.AllowedProtocols[0] != plugin.ProtocolGRPC {
		t.Errorf("AllowedProtocols = %v, want gRPC only", cfg.AllowedProtocols)
	}
	if cfg.StartTimeout != DefaultStartTimeout || cfg.AutoMTLS || cfg.Plugins == nil || len(cfg.GRPCDialOptions) == 0 {
		t.Errorf("ClientConfig = %+v", cfg)
	}
}
