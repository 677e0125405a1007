package proto

// Status is where a session stands in its lifecycle. The relay stores it,
// technicians see it in the queue and the end user's app hears it.
type Status string

// Session statuses.
const (
	StatusWaiting Status = "Waiting" // link created, no agent registered yet
	StatusReady   Status = "Ready"   // agent registered, no technician attached
	StatusActive  Status = "Active"  // a technician is attached
	StatusClosed  Status = "Closed"  // ended by a side or by the relay
	StatusExpired Status = "Expired" // link or code not used in time
)

// Live reports whether a session in this status can still change.
func (s Status) Live() bool {
	return s == StatusWaiting || s == StatusReady || s == StatusActive
}

// Kind says how a session started.
type Kind string

// Session kinds.
const (
	KindCode Kind = "code" // attended: the end user read a code to a technician
	KindLink Kind = "link" // a technician created a support link
	KindCall Kind = "call" // the end user called a channel (SOS Call)
)
