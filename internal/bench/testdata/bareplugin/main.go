// Command bareplugin is the floor of the assimilation benchmarks: a bare
// hashicorp/go-plugin gRPC plugin, built with the go-plugin version lychd
// uses, that answers one RPC (bench.Info) and nothing else.
package main

import (
	"github.com/hashicorp/go-plugin"

	"github.com/lychd/lychd/internal/bench"
)

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: bench.BareHandshake,
		Plugins:         plugin.PluginSet{bench.BarePluginName: &bench.BarePlugin{}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}
