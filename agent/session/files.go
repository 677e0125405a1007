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
