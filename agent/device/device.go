// Package device describes the computer the SOS app runs on (OS, hostname,
// user, addresses, displays) for the technician's queue.
package device

import (
	"image"
	"net"
	"os"
	"os/user"
	"runtime"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Displays lists the screens, by their bounds; it is a variable so tests and
// headless machines can replace it.
var Displays = func() []image.Rectangle { return displayBounds() }

// Describe gathers what the relay shows about this computer. Missing facts
// stay empty; nothing here fails.
func Describe(agentVersion string) proto.DeviceInfo {
	d := proto.DeviceInfo{OS: runtime.GOOS, AgentVersion: agentVersion}
	d.OSVersion = osVersion()
	d.Hostname, _ = os.Hostname()
	if u, err := user.Current(); err == nil {
		d.Username = u.Username
	}
	d.LocalIPs = localIPs()
	for i, b := range Displays() {
		d.Displays = append(d.Displays, proto.Display{ID: i, Width: b.Dx(), Height: b.Dy(), Primary: i == 0})
	}
	return d
}

func localIPs() []string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []string
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
			continue
		}
		ips = append(ips, n.IP.String())
	}
	return ips
}
