package media

import (
	"net"
	"net/netip"
)

// peerFilter decides which peer addresses TURN may relay to. It refuses
// every address that is not a public unicast address on the internet, so
// that the relay cannot be used to reach its own host or networks.
type peerFilter struct {
	allowPrivate  bool // RFC 1918, CGNAT and ULA: an all-LAN deployment
	allowLoopback bool // tests only: every peer sits on 127.0.0.1
	own           map[netip.Addr]bool
}

var (
	// refused always: nothing a remote-support peer is ever reached at.
	alwaysRefused = prefixes(
		"0.0.0.0/8",          // "this network", unspecified
		"169.254.0.0/16",     // link-local, cloud metadata (169.254.169.254)
		"224.0.0.0/4",        // multicast
		"240.0.0.0/4",        // reserved, limited broadcast 255.255.255.255
		"192.0.0.0/24",       // IETF protocol assignments
		"198.18.0.0/15",      // benchmarking
		"::/128",             // unspecified
		"fe80::/10",          // link-local
		"ff00::/8",           // multicast
		"64:ff9b:1::/48",     // local-use NAT64
		"100::/64",           // discard-only
		"2001:db8::/32",      // documentation
		"fec0::/10",          // deprecated site-local
		"::/96",              // deprecated IPv4-compatible
		"2002::/16",          // 6to4: embeds any IPv4 address
		"2001::/32",          // Teredo: embeds any IPv4 address
		"192.88.99.0/24",     // 6to4 relay anycast
		"233.252.0.0/24",     // multicast documentation
		"255.255.255.255/32", // broadcast
	)
	// private: RFC 1918, CGNAT (also overlay networks) and ULA; allowed
	// only for an all-LAN deployment.
	privateRanges = prefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
	loopback      = prefixes("127.0.0.0/8", "::1/128")
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// permits reports whether ip may be a TURN peer. IPv4-mapped IPv6 addresses
// are judged as the IPv4 address they carry.
func (f *peerFilter) permits(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap()
	switch {
	case inAny(a, loopback):
		return f.allowLoopback
	case inAny(a, alwaysRefused):
		return false
	case inAny(a, privateRanges):
		return f.allowPrivate
	}
	return true
}

// isOwn reports whether ip is one of the relay's own addresses.
func (f *peerFilter) isOwn(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	return ok && f.own[a.Unmap()]
}

// ownAddresses lists the relay's own IPs: the given listen and public IPs
// and the addresses of all local interfaces (relayed sockets listen on
// every interface).
func ownAddresses(ips ...net.IP) map[netip.Addr]bool {
	own := make(map[netip.Addr]bool)
	add := func(ip net.IP) {
		if a, ok := netip.AddrFromSlice(ip); ok {
			own[a.Unmap()] = true
		}
	}
	for _, ip := range ips {
		add(ip)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, ad := range addrs {
			if n, ok := ad.(*net.IPNet); ok {
				add(n.IP)
			}
		}
	}
	return own
}
