// Package bench holds the helpers of lychd's performance benchmarks
// (scripts/bench.sh, BENCHMARKS.md): building the benchmark binaries, a
// sandbox HOME with many installed extensions driven through the real lychd
// binary, the bare go-plugin floor, peak-memory and file-change
// measurements, the scale manifest, and the parsing of `go test -bench`
// output into the table of medians (package table).
//
// The benchmarks themselves are in bench_test.go; they build binaries, so
// they only run under -bench and `go test ./...` stays fast.
package bench
