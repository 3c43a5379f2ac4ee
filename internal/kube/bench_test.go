package kube

import "testing"

// BenchmarkExport exports and serializes the richest golden case.
func BenchmarkExport(b *testing.B) {
	c := goldenCases["host-paths-core"]
	m := c.manifest()
	for b.Loop() {
		res, err := Export(m, c.opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Stream(res.Objects); err != nil {
			b.Fatal(err)
		}
	}
}
