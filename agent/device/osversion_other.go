//go:build !linux && !windows

package device

// osVersion is not known on this platform yet.
func osVersion() string { return "" }
