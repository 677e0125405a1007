//go:build unix

package relay

import (
	"fmt"
	"os"
)

// checkPrivate refuses path when group or others have any permission on it;
// a missing file is fine.
func checkPrivate(path string, dir bool) error {
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check the permissions of %s: %w", path, err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if dir {
		return fmt.Errorf("the data directory %s is open to other users (mode %04o); the relay keeps password hashes, tokens and transcripts there. Run: chmod 700 %s", path, fi.Mode().Perm(), path)
	}
	return fmt.Errorf("%s is readable by other users (mode %04o); it holds secrets. Run: chmod 600 %s", path, fi.Mode().Perm(), path)
}
