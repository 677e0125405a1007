//go:build !windows

package locale

// system is empty where the environment (LANG, LC_ALL) is the only source.
func system() string { return "" }
