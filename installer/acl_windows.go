package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// Access control lists in SDDL. privateDACL gives LocalSystem (the service
// account) and Administrators full control of the directory, inherited by
// everything in it, and nobody else anything; publicDACL adds read access
// for the local users to one file, on top of what it inherits.
const (
	privateDACL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	publicDACL  = "D:(A;;FR;;;BU)"
)

func secureDataDir(dir string, public []string) error {
	if err := checkOurDir(dir); err != nil {
		return err
	}
	if err := setDACL(dir, privateDACL, windows.PROTECTED_DACL_SECURITY_INFORMATION); err != nil {
		return fmt.Errorf("restricting %s to the service and administrators: %w (run as an administrator)", dir, err)
	}
	for _, p := range public {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := setDACL(p, publicDACL, windows.UNPROTECTED_DACL_SECURITY_INFORMATION); err != nil {
			return fmt.Errorf("letting the station users read %s: %w (run as an administrator)", p, err)
		}
	}
	return nil
}

func setDACL(path, sddl string, inherit windows.SECURITY_INFORMATION) error {
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return fmt.Errorf("parsing %q: %w", sddl, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("reading the access list of %q: %w", sddl, err)
	}
	return windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION|inherit, nil, nil, dacl, nil)
}
