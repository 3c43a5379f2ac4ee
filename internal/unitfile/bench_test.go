package unitfile

import "testing"

// BenchmarkBytes serializes the representative soulstone container.
func BenchmarkBytes(b *testing.B) {
	f := representative()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse reads the representative container back.
func BenchmarkParse(b *testing.B) {
	data, err := representative().Bytes()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
