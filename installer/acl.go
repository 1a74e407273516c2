package installer

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ErrNotOurDir is returned by SecureDataDir (on Windows) for a directory whose name does
// not say it is Packline's: a data_dir set to C:\ or a user's folder must not
// lose its access list; such a directory has to be restricted by hand.
var ErrNotOurDir = errors.New("not a Packline directory")

// SecureDataDir keeps the data directory dir, and everything in it, to the
// service account and administrators, and lets the station users read the
// files in public (the station token and the station file): the TikTok app
// secret in the configuration, the admin token, the store, the backups and
// the logs stay private. On Windows, which ignores file modes, it sets the
// access control lists (a protected list on dir that its files inherit, and
// read access for BUILTIN\Users on each public file that exists); elsewhere
// the file modes and owners that the package's maintainer scripts set do
// this, and it does nothing.
func SecureDataDir(dir string, public ...string) error { return secureDataDir(dir, public) }

// checkOurDir returns ErrNotOurDir unless dir's name says it is Packline's.
func checkOurDir(dir string) error {
	if !strings.Contains(strings.ToLower(filepath.Base(dir)), "packline") {
		return fmt.Errorf("%s: %w: restrict it to the service account and administrators yourself", dir, ErrNotOurDir)
	}
	return nil
}
