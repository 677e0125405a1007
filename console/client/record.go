package client

import (
	"context"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Record asks the relay to start (start true) or stop recording a session
// this connection is attached to. Starting returns once the end user
// agreed and the recording runs, or with the relay's sentence why not
// (proto.ErrRecordDeclined, proto.ErrRecordOff, ...). Every participant
// then gets a TypeRecordState event (see RecordStateOf).
func (c *Conn) Record(ctx context.Context, sessionID string, start bool) error {
	return c.peer.Call(ctx, proto.TypeRecordRequest, &proto.RecordRequest{SessionID: sessionID, Start: start}, proto.TypeOK, nil)
}

// Record is Conn.Record on the session's current connection.
func (s *Session) Record(ctx context.Context, start bool) error {
	c, id, err := s.current()
	if err != nil {
		return err
	}
	return c.Record(ctx, id, start)
}

// RecordStateOf decodes a TypeRecordState event; ok is false for any other.
func RecordStateOf(env proto.Envelope) (st proto.RecordState, ok bool) {
	if env.Type != proto.TypeRecordState {
		return st, false
	}
	return st, env.Decode(&st) == nil
}

// RecordSentence says a recording state in words for a technician.
func RecordSentence(st proto.RecordState) string {
	switch {
	case st.On && st.By == "relay":
		return "Recording: on (the channel records every session)."
	case st.On:
		return "Recording: on (asked by " + st.By + ")."
	case st.Reason != "":
		return "Recording: off (" + st.Reason + ")."
	}
	return "Recording: off."
}
