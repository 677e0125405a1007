package proto

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
}
