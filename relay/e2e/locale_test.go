package e2e

// This test binary links Fyne (console/ui) too: read a C.UTF-8 locale as
// English before Fyne starts, as the programs do (see pkg/locale).
import _ "github.com/relaydesk/relaydesk/pkg/locale"
