package hosttest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirBuildsEveryExtension(t *testing.T) {
	dir, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range Names {
		st, err := os.Stat(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable", n)
		}
	}
}
