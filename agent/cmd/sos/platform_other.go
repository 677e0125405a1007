//go:build !windows

package main

// prepareProcess has nothing to do outside Windows.
func prepareProcess() {}
