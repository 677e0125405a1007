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
