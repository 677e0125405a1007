package proto

import "time"

// Recording a session with the consent of both sides (version 4, types
// 88-91; 92 is kept for recording's next word).
//
//	technician (with PermRecord, in a channel that allows recording)
//	  RecordRequest{SessionID, Start: true} ->
//	                                        relay asks the agent (AgentRegister{Recording: true} only):
//	                                        RecordConsent{Technician} -> agent
//	                                        agent -> RecordAnswer{Allow}
//	                                   <-   RecordState{On: true, By} to the agent and every attached
//	                                        technician, or Error{ErrRecordDeclined}
//	                                        agent receives PeerJoined{Peer{ID: RecorderPeer,
//	                                        Role: "recorder"}}: it offers the recorder the screen
//	                                        (view only) through Signal, as to a technician
//	either side
//	  RecordRequest{SessionID, Start: false} -> OK; RecordState{On: false, By} to all
//	relay, when the session ends or the recorder fails
//	                                   <-   RecordState{On: false, By: "relay", Reason}
//
// A channel whose policy is RecordRequired says so in the consent question
// (ConsentRequest.Recorded): the end user's yes covers the recording, which
// starts when the owner joins. A channel whose policy is RecordOff (the
// default) refuses every RecordRequest with ErrRecordOff.
const (
	TypeRecordRequest Type = 88 // RecordRequest, technician or agent -> relay, request; reply OK or Error
	TypeRecordConsent Type = 89 // RecordConsent, relay -> agent, request; reply RecordAnswer
	TypeRecordAnswer  Type = 90 // RecordAnswer, reply to RecordConsent
	TypeRecordState   Type = 91 // RecordState, relay -> agent and attached technicians, event
)

// Error codes of recording.
const (
	ErrRecordDeclined ErrorCode = 29 // the end user did not allow the recording
	ErrRecordOff      ErrorCode = 30 // the channel does not allow recording, or it cannot start
)

// PermRecord lets a technician ask to record a session (the end user is
// always asked too).
const PermRecord Permission = "record"

// RecorderPeer is the peer ID of the relay's own recorder in PeerJoined
// and Signal: negative, so never a technician's user ID.
const RecorderPeer int64 = -100

// RoleRecorder is the Peer.Role of the recorder in PeerJoined and
// Participants.
const RoleRecorder = "recorder"

// RecordPolicy is whether a channel's sessions may or must be recorded.
type RecordPolicy string

// Recording policies.
const (
	RecordOff      RecordPolicy = "off"      // never (the default)
	RecordAllowed  RecordPolicy = "allowed"  // when a technician asks and the end user agrees
	RecordRequired RecordPolicy = "required" // always: the consent question says so
)

// Valid reports whether p is a known policy ("" reads as off).
func (p RecordPolicy) Valid() bool {
	return p == "" || p == RecordOff || p == RecordAllowed || p == RecordRequired
}

// RecordRequest starts (Start) or stops recording a session. A technician
// needs PermRecord to start; the end user's app and any attached
// technician may stop.
type RecordRequest struct {
	SessionID string `cbor:"1,keyasint"`
	Start     bool   `cbor:"2,keyasint,omitempty"`
}

// RecordConsent asks the end user whether Technician may record the
// session. The app answers with RecordAnswer; it admits the recorder peer
// only after its end user said yes.
type RecordConsent struct {
	SessionID  string        `cbor:"1,keyasint"`
	Technician string        `cbor:"2,keyasint"`
	Timeout    time.Duration `cbor:"3,keyasint,omitempty"`
}

// RecordAnswer is the end user's answer to RecordConsent.
type RecordAnswer struct {
	Allow bool `cbor:"1,keyasint,omitempty"`
}

// RecordState tells every participant whether the session is being
// recorded now, who started or stopped it and why.
type RecordState struct {
	SessionID string    `cbor:"1,keyasint"`
	On        bool      `cbor:"2,keyasint,omitempty"`
	By        string    `cbor:"3,keyasint,omitempty"`
	Reason    string    `cbor:"4,keyasint,omitempty"`
	Recording string    `cbor:"5,keyasint,omitempty"` // the recording's ID
	Since     time.Time `cbor:"6,keyasint,omitempty"`
}

// Recording is one recording of a session as the admin API and the
// console list it.
type Recording struct {
	ID        string        `cbor:"1,keyasint" json:"id"`
	SessionID string        `cbor:"2,keyasint" json:"session_id"`
	Started   time.Time     `cbor:"3,keyasint" json:"started"`
	Ended     time.Time     `cbor:"4,keyasint,omitempty" json:"ended,omitzero"`
	Bytes     int64         `cbor:"5,keyasint,omitempty" json:"bytes"`
	Duration  time.Duration `cbor:"6,keyasint,omitempty" json:"duration_ns"`
	AskedBy   string        `cbor:"7,keyasint,omitempty" json:"asked_by"`
}
