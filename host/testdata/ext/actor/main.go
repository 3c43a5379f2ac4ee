// Command actor is the test extension "actor"; see package actor.
package main

import (
	"github.com/lychd/lychd/host/testdata/ext/internal/actor"
	"github.com/lychd/lychd/sdk"
)

func main() { sdk.Serve(actor.Extension{Name: "actor", Version: "1.0.0"}) }
