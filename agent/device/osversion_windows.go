package device

import (
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// osVersion names the Windows release from the kernel's real version
// (RtlGetVersion is not subject to the compatibility shims that make
// GetVersionEx lie) and the edition and display version from the registry:
// "Windows 10 Pro 22H2 (10.0.19045)". Windows 11 still calls itself
// "Windows 10" in ProductName; build 22000 and later is Windows 11.
func osVersion() string {
	v := windows.RtlGetVersion()
	product, display := "", ""
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, registry.QUERY_VALUE); err == nil {
		product, _, _ = k.GetStringValue("ProductName")
		display, _, _ = k.GetStringValue("DisplayVersion")
		k.Close()
	}
	return windowsName(product, display, v.MajorVersion, v.MinorVersion, v.BuildNumber)
}
