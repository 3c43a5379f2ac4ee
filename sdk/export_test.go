package sdk

import (
	"io"

	"github.com/hashicorp/go-plugin"
)

// ServeForTest serves ext in go-plugin's test mode, logging to stderr.
func ServeForTest(ext Extension, stderr io.Writer, test *plugin.ServeTestConfig) int {
	return serve(ext, func(string) string { return "" }, stderr, "unused", test)
}

// ServeWithEnv runs Serve's start-up checks with an injected environment.
func ServeWithEnv(ext Extension, getenv func(string) string, stderr io.Writer, argv0 string) int {
	return serve(ext, getenv, stderr, argv0, nil)
}
