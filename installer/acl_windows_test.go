package installer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/windows"
)

func TestSecureDataDirWindows(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Packline")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "agent.toml")
	token := filepath.Join(dir, "ui-token")
	for _, p := range []string{secret, token} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := SecureDataDir(dir, token, filepath.Join(dir, "station")); err != nil {
		t.Fatal(err)
	}
	dacl := func(p string) string {
		sd, err := windows.GetNamedSecurityInfo(p, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
		if err != nil {
			t.Fatal(err)
		}
		return sd.String()
	}
	if got := dacl(secret); strings.Contains(got, ";;;BU)") || !strings.Contains(got, ";;;SY)") {
		t.Errorf("the config's access list is %s: want SYSTEM and Administrators only", got)
	}
	if got := dacl(token); !strings.Contains(got, ";;;BU)") {
		t.Errorf("the station token's access list is %s: want read access for the users", got)
	}
}
