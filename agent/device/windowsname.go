package device

import (
	"fmt"
	"strings"
)

// windowsName formats what osVersion found.
func windowsName(product, display string, major, minor, build uint32) string {
	product = strings.TrimPrefix(product, "Microsoft ") // Windows 7 and Wine say "Microsoft Windows 7"
	if product == "" {
		product = "Windows"
	}
	if build >= 22000 && strings.HasPrefix(product, "Windows 10") {
		product = "Windows 11" + product[10:]
	}
	s := product
	if display != "" {
		s += " " + display
	}
	return s + fmt.Sprintf(" (%d.%d.%d)", major, minor, build)
}
