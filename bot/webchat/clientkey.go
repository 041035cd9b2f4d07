package webchat

import "net/netip"

// clientKey is what the per-address rate limit counts a client by: an IPv4 address (also when
// written IPv4-mapped, ::ffff:a.b.c.d), and the /64 network of an IPv6 address. One household or
// phone gets a whole /64 from its provider and can pick any of its 2^64 addresses (privacy
// addresses change by themselves), so counting single IPv6 addresses would give one client an
// endless supply of fresh buckets. A value that is not an address is counted as it is.
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
