package session

import (
	"context"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/pkg/transport"
)

// offerFile passes a transfer the relay authorised to Files, if the end
// user allowed its technician in with control (what the relay requires
// too, checked again here).
func (a *Agent) offerFile(o proto.FileOffer) error {
	if a.cfg.Files == nil {
		return proto.Errorf(proto.ErrForbidden, "The end user's app takes no files.")
	}
	if a.SessionID() != o.SessionID {
		return proto.Errorf(proto.ErrSessionUnknown, "The end user's app is not in session %s.", o.SessionID)
	}
	if !a.grantOf(o.Peer.ID).Has(proto.PermControl) {
		a.log.Warn("refused a transfer for a technician the end user did not allow control", "peer", o.Peer.ID, "name", o.Peer.Name)
		return proto.Errorf(proto.ErrForbidden, "The end user did not allow %s to control this computer, so the app moves no files for them.", nameOr(o.Peer.Name, "this technician"))
	}
	return a.cfg.Files.Offer(o)
}

// ReportFile tells the relay how a transfer ended.
func (a *Agent) ReportFile(ctx context.Context, r proto.FileReport) error {
	a.mu.Lock()
	p := a.peer
	a.mu.Unlock()
	if p == nil {
		return transport.ErrClosed
	}
	return p.Call(ctx, proto.TypeFileReport, &r, proto.TypeOK, nil)
}

// UploadFile asks the relay to authorise sending the end user's file
// (name, size bytes) to the technician who controls, else to the first
// one (by ID) the end user allowed control who is not a guest; it returns
// the offer the app then keeps.
func (a *Agent) UploadFile(ctx context.Context, name string, size int64) (proto.FileOffer, error) {
	a.mu.Lock()
	p, id, to := a.peer, a.sessionID, a.controller
	if to <= 0 || !a.granted[to].Has(proto.PermControl) {
		to = 0
		for pid, g := range a.granted {
			if g.Has(proto.PermControl) && !a.guests[pid] && (to == 0 || pid < to) {
				to = pid
			}
		}
	}
	a.mu.Unlock()
	if p == nil {
		return proto.FileOffer{}, transport.ErrClosed
	}
	if to == 0 {
		return proto.FileOffer{}, proto.Errorf(proto.ErrSessionState, "No technician you allowed to control this computer is connected, so there is nobody to send the file to.")
	}
	var r proto.FileStarted
	if err := p.Call(ctx, proto.TypeFileUpload, &proto.FileUpload{SessionID: id, Peer: to, Name: name, Size: size}, proto.TypeFileStarted, &r); err != nil {
		return proto.FileOffer{}, err
	}
	return proto.FileOffer{SessionID: id, ID: r.ID, Peer: proto.Peer{ID: to}, Direction: proto.FileUp, Name: name, Size: size, Limit: r.Limit}, nil
}
