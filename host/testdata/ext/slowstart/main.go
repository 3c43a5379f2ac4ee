// Command slowstart is a test extension that hangs before the handshake.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/lychd/lychd/host/testdata/ext/internal/actor"
	"github.com/lychd/lychd/sdk"
)

func main() {
	fmt.Fprintln(os.Stderr, "loading a very large model first")
	time.Sleep(time.Hour)
	sdk.Serve(actor.Extension{Name: "slowstart", Version: "1.0.0"})
}
