package locale

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

var procGetUserDefaultLocaleName = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetUserDefaultLocaleName")

// system is the Windows user's locale (GetUserDefaultLocaleName: "de-DE",
// "nl-NL", "sr-Latn-RS"), which decides the language of Windows' own UI
// for that user. LANG and friends are rarely set on Windows.
func system() string {
	buf := make([]uint16, 85) // LOCALE_NAME_MAX_LENGTH
	n, _, _ := procGetUserDefaultLocaleName.Call(uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	if n == 0 {
		return ""
	}
	return windowsTag(windows.UTF16ToString(buf))
}
