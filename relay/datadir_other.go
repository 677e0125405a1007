//go:build !unix

package relay

// checkPrivate does nothing where permissions are not mode bits (Windows
// ACLs): the data directory's ACL is the installer's job there.
func checkPrivate(string, bool) error { return nil }
