//go:build !unix

package main

// restrictUmask does nothing where there is no umask.
func restrictUmask() {}

// checkPrivate does nothing where permissions are not mode bits (Windows
// ACLs): the data directory's ACL is the installer's job there.
func checkPrivate(string, bool) error { return nil }
