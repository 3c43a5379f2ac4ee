// Command badname is a test extension whose name tries to escape the
// extensions directory.
package main

import (
	"github.com/lychd/lychd/host/testdata/ext/internal/actor"
	"github.com/lychd/lychd/sdk"
)

func main() { sdk.Serve(actor.Extension{Name: "../../evil", Version: "1.0.0"}) }
