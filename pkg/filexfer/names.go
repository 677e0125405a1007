// Package filexfer moves files over the "files" WebRTC data channel
// (proto.FileMsg) for both the console and the SOS app: names from the
// other side made safe, partial files that resume from the byte they
// have, the SHA-256 of the whole file checked before a file gets its
// name, and senders that wait while the channel's buffer is full.
package filexfer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxName is the longest file name SafeName returns, in bytes.
const maxName = 200

// reserved are the device names Windows will not use as file names.
var reserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

// SafeName turns a name the other side gave into a plain file name: its
// last path element (either separator), without control characters or
// characters Windows forbids, no leading or trailing dots or spaces, never
// "." or "..", never a Windows device name, at most 200 bytes (the
// extension kept). A name with nothing left becomes "file".
func SafeName(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	var b strings.Builder
	for _, r := range name {
		switch {
		case unicode.IsControl(r) || r == utf8.RuneError || unicode.Is(unicode.Cf, r):
			// dropped: escapes, bidirectional overrides
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	name = strings.Trim(b.String(), ". \t")
	if name == "" {
		return "file"
	}
	stem, ext := splitExt(name)
	if reserved[strings.ToUpper(stem)] {
		stem = "_" + stem
	}
	if len(ext) > 20 {
		stem, ext = stem+ext, ""
	}
	for len(stem)+len(ext) > maxName {
		_, size := utf8.DecodeLastRuneInString(stem)
		stem = stem[:len(stem)-size]
	}
	return strings.TrimRight(stem, ". ") + ext
}

// splitExt splits "report.final.pdf" into "report.final" and ".pdf"; a
// name that starts with its only dot has no extension.
func splitExt(name string) (string, string) {
	i := strings.LastIndexByte(name, '.')
	if i <= 0 {
		return name, ""
	}
	return name[:i], name[i:]
}

// Candidate is the n-th name tried for name: name itself, then
// "stem (1).ext", "stem (2).ext", ...
func Candidate(name string, n int) string {
	if n == 0 {
		return name
	}
	stem, ext := splitExt(name)
	return fmt.Sprintf("%s (%d)%s", stem, n, ext)
}

// Place gives the finished file tmp its name in dir without overwriting
// anything: name, else "name (1).ext", ... It returns the path it took.
func Place(tmp, dir, name string) (string, error) {
	name = SafeName(name)
	for n := 0; n < 10000; n++ {
		dst := filepath.Join(dir, Candidate(name, n))
		err := os.Link(tmp, dst) // fails if dst exists, unlike a rename
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil { // no hard links here (FAT, some shares): check, then rename
			if _, serr := os.Lstat(dst); serr == nil {
				continue
			}
			if err := os.Rename(tmp, dst); err != nil {
				return "", fmt.Errorf("name the file %s: %w", dst, err)
			}
			return dst, nil
		}
		os.Remove(tmp)
		return dst, nil
	}
	return "", fmt.Errorf("name the file %s: too many files of that name in %s", name, dir)
}

// DownloadDir is where the end user's app saves incoming files:
// $XDG_DOWNLOAD_DIR, else the user-dirs.dirs setting, else ~/Downloads.
func DownloadDir() (string, error) {
	if d := os.Getenv("XDG_DOWNLOAD_DIR"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the Downloads folder: %w", err)
	}
	if d := userDirsDownload(home); d != "" {
		return d, nil
	}
	return filepath.Join(home, "Downloads"), nil
}

// userDirsDownload reads XDG_DOWNLOAD_DIR from ~/.config/user-dirs.dirs
// (where desktops keep it) or "" when it is not there.
func userDirsDownload(home string) string {
	conf := os.Getenv("XDG_CONFIG_HOME")
	if conf == "" {
		conf = filepath.Join(home, ".config")
	}
	b, err := os.ReadFile(filepath.Join(conf, "user-dirs.dirs"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "XDG_DOWNLOAD_DIR=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		v = strings.Replace(v, "$HOME", home, 1)
		if filepath.IsAbs(v) {
			return v
		}
	}
	return ""
}
