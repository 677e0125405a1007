package main

import (
	"os"

	"golang.org/x/sys/windows"

	"github.com/relaydesk/relaydesk/agent/capture"
)

var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// prepareProcess makes the process per-monitor-v2 DPI aware before any
// window exists, and, because the app is built as a GUI program (no console
// window behind it when double-clicked), attaches to the console of the
// program that started it, if any, so --no-gui and messages work from cmd
// or PowerShell. Standard handles that were redirected are kept.
func prepareProcess() {
	capture.SetDPIAware()
	if h, err := windows.GetStdHandle(windows.STD_OUTPUT_HANDLE); err == nil && h != 0 && h != windows.InvalidHandle {
		return
	}
	const attachParentProcess = ^uintptr(0) // (DWORD)-1
	if r, _, _ := procAttachConsole.Call(attachParentProcess); r == 0 {
		return
	}
	if out, err := os.OpenFile("CONOUT$", os.O_RDWR, 0); err == nil {
		os.Stdout, os.Stderr = out, out
	}
	if in, err := os.OpenFile("CONIN$", os.O_RDWR, 0); err == nil {
		os.Stdin = in
	}
}
