// Package locale, imported for its side effect by the programs that link
// Fyne, makes a C or POSIX locale (LANG=C.UTF-8, the default on Debian
// servers and in containers) read as English before Fyne's packages start:
// Fyne cannot parse "C" as a language and would print three "Fyne error:
// Error parsing user locale C" lines on every start.
//
// Go initialises a package before any package that sorts after it by
// import path and is ready at the same time, and this one needs only os,
// so it runs before fyne.io/fyne/v2/lang, whose imports (golang.org/x/text)
// sort after it. relay/e2e checks that no such line appears.
package locale

import (
	"os"
	"strings"
)

func init() { Fix(os.Getenv, os.Setenv) }

// Fix sets LANGUAGE to "en" when the locale that decides messages
// (LC_ALL, else LC_MESSAGES, else LANG) is C or POSIX with a character set
// (C.UTF-8) and LANGUAGE is unset. Plain "C" and "POSIX" need nothing: they
// already read as "no language". Nothing else changes, so a real language
// (de_DE.UTF-8) is kept.
func Fix(getenv func(string) string, setenv func(string, string) error) {
	if getenv("LANGUAGE") != "" {
		return
	}
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(k); loc != "" {
			break
		}
	}
	base, _, hasCharset := strings.Cut(loc, ".")
	if hasCharset && (base == "C" || base == "POSIX") {
		setenv("LANGUAGE", "en")
	}
}

// Tag is the end user's language as a BCP 47 tag from the locale that
// decides messages (LC_ALL, else LC_MESSAGES, else LANG): "de_CH.UTF-8"
// gives "de-CH", "nl_NL@euro" "nl-NL", "fr" "fr"; C, POSIX or nothing
// give "".
func Tag(getenv func(string) string) string {
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = getenv(k); loc != "" {
			break
		}
	}
	loc, _, _ = strings.Cut(loc, ".")
	loc, _, _ = strings.Cut(loc, "@")
	if loc == "" || loc == "C" || loc == "POSIX" {
		return ""
	}
	lang, region, _ := strings.Cut(loc, "_")
	if !alpha(lang, 2, 3) || (region != "" && !alpha(region, 2, 3) && !digits(region, 3)) {
		return ""
	}
	if region == "" {
		return strings.ToLower(lang)
	}
	return strings.ToLower(lang) + "-" + strings.ToUpper(region)
}

func alpha(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Default is the end user's language: Tag of the process's environment,
// else the system's user locale where the platform has one (Windows:
// GetUserDefaultLocaleName), else "".
func Default() string {
	if t := Tag(os.Getenv); t != "" {
		return t
	}
	return system()
}

// windowsTag turns a Windows locale name into a tag like Tag's: "de-DE"
// stays, "sr-Latn-RS" keeps language and region ("sr-RS"), "en" stays,
// the invariant locale ("") and anything not of that shape give "".
func windowsTag(name string) string {
	parts := strings.Split(name, "-")
	lang := parts[0]
	if !alpha(lang, 2, 3) {
		return ""
	}
	region := ""
	for _, p := range parts[1:] {
		if alpha(p, 2, 2) || digits(p, 3) {
			region = p
			break
		}
	}
	if region == "" {
		return strings.ToLower(lang)
	}
	return strings.ToLower(lang) + "-" + strings.ToUpper(region)
}
