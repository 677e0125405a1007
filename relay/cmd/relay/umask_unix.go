//go:build unix

package main

import "syscall"

// restrictUmask makes every file the relay creates (database, WAL, key,
// password file) private to its user.
func restrictUmask() { syscall.Umask(0o077) }
