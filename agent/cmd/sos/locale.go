package main

// Before Fyne starts: a C.UTF-8 locale reads as English, so Fyne prints no
// locale warning (see pkg/locale).
import _ "github.com/relaydesk/relaydesk/pkg/locale"
