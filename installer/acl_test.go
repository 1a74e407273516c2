package installer

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestCheckOurDir(t *testing.T) {
	for _, dir := range []string{string(filepath.Separator), t.TempDir(), filepath.Join(t.TempDir(), "data")} {
		if err := checkOurDir(dir); !errors.Is(err, ErrNotOurDir) {
			t.Errorf("checkOurDir(%q) = %v, want ErrNotOurDir", dir, err)
		}
	}
	ours := filepath.Join(t.TempDir(), "Packline")
	if err := checkOurDir(ours); errors.Is(err, ErrNotOurDir) {
		t.Errorf("checkOurDir(%q) refused Packline's own directory: %v", ours, err)
	}
}
