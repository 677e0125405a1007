package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

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
	case st.Reason != "" && st.Recording != "":
		return "Recording: off (" + st.Reason + "); recording " + st.Recording + "."
	case st.Reason != "":
		return "Recording: off (" + st.Reason + ")."
	}
	return "Recording: off."
}

// DownloadRecording writes recording id (WebM) to w, for who may see its
// session; progress, if not nil, hears the bytes so far and the total (-1:
// unknown) as they arrive. A refusal is an *AdminError with the relay's
// sentence.
func (a *Admin) DownloadRecording(ctx context.Context, id string, w io.Writer, progress func(done, total int64)) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/recordings/"+url.PathEscape(id), nil)
	if err != nil {
		return 0, fmt.Errorf("download recording %s: %w", id, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.hc.Do(req)
	if err != nil {
		var ue *url.Error // its text repeats the method and the whole address
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, fmt.Errorf("admin API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return 0, adminError(resp)
	}
	pw := &progressWriter{w: w, total: resp.ContentLength, report: progress}
	n, err := io.Copy(pw, resp.Body)
	if err != nil {
		return n, fmt.Errorf("download recording %s: %w", id, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("download recording %s: %d of %d bytes arrived", id, n, resp.ContentLength)
	}
	return n, nil
}

// progressWriter counts what passes and reports it.
type progressWriter struct {
	w           io.Writer
	done, total int64
	report      func(done, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.report != nil {
		p.report(p.done, p.total)
	}
	return n, err
}
