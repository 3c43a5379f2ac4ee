// Command protocol3 is a test extension speaking only protocol version 3,
// which this lychd does not know.
package main

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

type ext struct{ plugin.NetRPCUnsupportedPlugin }

func (ext) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }
func (ext) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, errors.New("not a host")
}

func main() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  3,
			MagicCookieKey:   "LYCHD_EXTENSION_MAGIC_COOKIE",
			MagicCookieValue: "9d1c5f0e3a7b48c2b6e4f1a08c37d5e2",
		},
		VersionedPlugins: map[int]plugin.PluginSet{3: {"extension": ext{}}},
		GRPCServer:       plugin.DefaultGRPCServer,
	})
}
