package proto

import (
	"slices"
	"unicode/utf8"
)

// Display describes one screen of the end user's computer.
type Display struct {
	ID      int  `cbor:"1,keyasint" json:"id"`
	Width   int  `cbor:"2,keyasint" json:"width"`
	Height  int  `cbor:"3,keyasint" json:"height"`
	Primary bool `cbor:"4,keyasint,omitempty" json:"primary,omitempty"`
}

// DeviceInfo is what the SOS app reports about the computer it runs on, so a
// technician can see it in the queue before connecting. PublicIP is filled in
// by the relay from the address it sees; whatever the agent sends there is
// overwritten.
type DeviceInfo struct {
	OS           string    `cbor:"1,keyasint,omitempty" json:"os,omitempty"`
	OSVersion    string    `cbor:"2,keyasint,omitempty" json:"os_version,omitempty"`
	Hostname     string    `cbor:"3,keyasint,omitempty" json:"hostname,omitempty"`
	Username     string    `cbor:"4,keyasint,omitempty" json:"username,omitempty"`
	LocalIPs     []string  `cbor:"5,keyasint,omitempty" json:"local_ips,omitempty"`
	PublicIP     string    `cbor:"6,keyasint,omitempty" json:"public_ip,omitempty"`
	Displays     []Display `cbor:"7,keyasint,omitempty" json:"displays,omitempty"`
	AgentVersion string    `cbor:"8,keyasint,omitempty" json:"agent_version,omitempty"`
	// NoCtrlAltDel: the app cannot pass Ctrl+Alt+Del on (Windows takes it
	// only from the keyboard or from a service, and the SOS app runs as the
	// signed-in user); the console then offers no Ctrl+Alt+Del and says
	// CtrlAltDelUnavailable. False for older apps and on Linux, where it is
	// an ordinary key combination.
	NoCtrlAltDel bool `cbor:"9,keyasint,omitempty" json:"no_ctrl_alt_del,omitempty"`
}

// CtrlAltDelUnavailable is what the technician reads for a device with
// NoCtrlAltDel.
const CtrlAltDelUnavailable = "Ctrl+Alt+Del cannot be sent: the SOS app runs without the service that Windows requires for it; ask the end user to press it."

// Limits of what the relay keeps of a DeviceInfo and of Hello.Client: longer
// strings are cut (at a character boundary), longer lists shortened.
const (
	MaxDeviceString = 256
	MaxLocalIPs     = 32
	MaxDisplays     = 16
	MaxClientName   = 64
)

// Truncate returns s cut to at most n bytes without splitting a UTF-8
// character, and whether it was cut.
func Truncate(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	cut := n
	for cut > 0 && cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}

// Cap cuts d to the limits above and returns the names of the fields it
// cut (none for an honest device), so that a long host name still
// registers, shortened, and the relay can log what it changed.
func (d *DeviceInfo) Cap() []string {
	var cut []string
	str := func(name string, p *string, n int) {
		var c bool
		if *p, c = Truncate(*p, n); c {
			cut = append(cut, name)
		}
	}
	str("os", &d.OS, MaxDeviceString)
	str("os_version", &d.OSVersion, MaxDeviceString)
	str("hostname", &d.Hostname, MaxDeviceString)
	str("username", &d.Username, MaxDeviceString)
	str("public_ip", &d.PublicIP, MaxDeviceString)
	str("agent_version", &d.AgentVersion, MaxDeviceString)
	if len(d.LocalIPs) > MaxLocalIPs {
		d.LocalIPs, cut = d.LocalIPs[:MaxLocalIPs:MaxLocalIPs], append(cut, "local_ips")
	}
	for i := range d.LocalIPs {
		str("local_ips", &d.LocalIPs[i], 64)
	}
	if len(d.Displays) > MaxDisplays {
		d.Displays, cut = d.Displays[:MaxDisplays:MaxDisplays], append(cut, "displays")
	}
	return slices.Compact(cut)
}
