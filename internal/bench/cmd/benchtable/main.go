// Command benchtable reads the output of lychd's benchmarks (go test -bench
// over internal/bench) on stdin and prints the table of medians, floors,
// ratios and targets as Markdown. scripts/bench.sh runs it.
package main

import (
	"fmt"
	"os"

	"github.com/lychd/lychd/internal/bench/table"
)

func main() {
	res, err := table.Parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(res) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results on stdin; run it on the output of go test -bench ./internal/bench/")
		os.Exit(1)
	}
	if err := table.Render(os.Stdout, table.Rows(res)); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}
