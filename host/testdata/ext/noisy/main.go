// Command noisy is a test extension that prints to stdout before the
// handshake, which breaks it.
package main

import (
	"fmt"

	"github.com/lychd/lychd/host/testdata/ext/internal/actor"
	"github.com/lychd/lychd/sdk"
)

func main() {
	fmt.Println("hello from noisy, version 1.0.0")
	sdk.Serve(actor.Extension{Name: "noisy", Version: "1.0.0"})
}
