// Command twin is the test extension "twin": the actor under another name,
// for tests with two extensions.
package main

import (
	"github.com/lychd/lychd/host/testdata/ext/internal/actor"
	"github.com/lychd/lychd/sdk"
)

func main() { sdk.Serve(actor.Extension{Name: "twin", Version: "2.0.0"}) }
