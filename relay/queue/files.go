package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// offerTimeout bounds how long the relay waits for the app to take a
// transfer it is offered.
const offerTimeout = 15 * time.Second

// FileStart authorises a file transfer: t must be attached to the live
// session with the files permission (narrowed by its channel), the end
// user must have allowed them more than watching, the app must be online,
// and a file sent must fit the channel's limit. The transfer is stored
// and audited, then offered to the app, which must take it before t
// hears its ID.
func (m *Manager) FileStart(ctx context.Context, t *Tech, req proto.FileStart) (proto.FileStarted, error) {
	if req.Direction != proto.FileSend && req.Direction != proto.FileFetch {
		return proto.FileStarted{}, proto.Errorf(proto.ErrBadRequest, "Say whether the file is sent to the end user or fetched from their computer.")
	}
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > proto.MaxFilePath || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return proto.FileStarted{}, proto.Errorf(proto.ErrBadRequest, "Give the file's name or path: text of at most %d bytes.", proto.MaxFilePath)
	}
	if req.Size < 0 {
		return proto.FileStarted{}, proto.Errorf(proto.ErrBadRequest, "A file's size cannot be negative.")
	}
	m.mu.Lock()
	l := m.sessions[req.SessionID]
	var at *attachment
	if l != nil {
		at = l.techs[t.User.ID]
	}
	if at == nil || at.tech == nil {
		m.mu.Unlock()
		return proto.FileStarted{}, proto.Errorf(proto.ErrSessionUnknown, "You are not connected to session %s.", req.SessionID)
	}
	if err := m.desk.Can(t.User, proto.PermFiles, &l.s, true); err != nil {
		m.mu.Unlock()
		return proto.FileStarted{}, m.refused(ctx, t, "files", req.SessionID, err)
	}
	if at.supervisor || (len(at.granted) > 0 && !at.granted.Has(proto.PermControl)) {
		m.mu.Unlock()
		return proto.FileStarted{}, m.refused(ctx, t, "files", req.SessionID,
			proto.Errorf(proto.ErrForbidden, "The end user allowed you to watch only; moving files needs their permission to control."))
	}
	a, channel := l.agent, l.s.ChannelID
	m.mu.Unlock()
	if a == nil {
		return proto.FileStarted{}, proto.Errorf(proto.ErrAgentOffline, "The end user's app is not connected right now; try again when it is back.")
	}
	limit, err := m.fileLimit(ctx, channel)
	if err != nil {
		return proto.FileStarted{}, err
	}
	if req.Direction == proto.FileSend && req.Size > limit {
		where := "this relay"
		if ch, ok := m.desk.Channel(channel); ok {
			where = "channel " + ch.Name
		}
		return proto.FileStarted{}, m.refused(ctx, t, "files", req.SessionID, proto.Errorf(proto.ErrFileTooLarge,
			"%s is too large for %s: %d bytes (%s); at most %d bytes (%s) are allowed.",
			name, where, req.Size, filexfer.Bytes(req.Size), limit, filexfer.Bytes(limit)))
	}
	tr := store.Transfer{ID: newSessionID(), SessionID: req.SessionID, TechnicianID: t.User.ID, Technician: t.User.Name,
		Direction: req.Direction, Name: name, Size: req.Size, State: proto.FileRunning, StartedAt: m.cfg.Now()}
	if err := m.st.AddTransfer(ctx, tr); err != nil {
		return proto.FileStarted{}, m.internal("store the transfer", err)
	}
	m.audit(ctx, "file.started", t.User.Name, t.IP, req.SessionID, map[string]string{
		"id": tr.ID, "direction": string(tr.Direction), "name": tr.Name, "size": fmt.Sprint(tr.Size)})
	octx, cancel := context.WithTimeout(ctx, offerTimeout)
	defer cancel()
	env, err := a.Conn.Request(octx, proto.TypeFileOffer, &proto.FileOffer{SessionID: req.SessionID, ID: tr.ID,
		Peer: proto.Peer{ID: t.User.ID, Name: t.User.Name}, Direction: tr.Direction, Name: tr.Name, Size: tr.Size, Limit: limit})
	var fail *proto.Failure
	switch {
	case err != nil:
		fail = proto.Errorf(proto.ErrAgentOffline, "The end user's app did not take the transfer (it is not connected or did not answer).")
	case env.Type == proto.TypeError:
		fail = env.AsFailure()
	case env.Type != proto.TypeOK:
		fail = proto.Errorf(proto.ErrProtocol, "The end user's app gave an answer the relay could not read.")
	}
	if fail != nil {
		m.endTransfer(ctx, tr, t.User.Name, t.IP, proto.FileReport{SessionID: tr.SessionID, ID: tr.ID, State: proto.FileFailed, Reason: fail.Message})
		return proto.FileStarted{}, fail
	}
	return proto.FileStarted{ID: tr.ID, Limit: limit}, nil
}

// fileLimit is the file size limit of channel id (0: no channel).
func (m *Manager) fileLimit(ctx context.Context, id int64) (int64, error) {
	if id == 0 {
		return proto.DefaultFileLimit, nil
	}
	n, err := m.st.ChannelFileLimit(ctx, id)
	if err != nil {
		return 0, m.internal("read the channel's file limit", err)
	}
	if n <= 0 {
		return proto.DefaultFileLimit, nil
	}
	return n, nil
}

// AgentFileReport records how a transfer of the agent's session ended.
// The app's session may have ended meanwhile (the end user ended it as a
// file arrived): its report still counts, for its own session's transfers.
func (m *Manager) AgentFileReport(ctx context.Context, a *Agent, r proto.FileReport) error {
	m.mu.Lock()
	id := a.SessionID // set when the app registers, under m.mu
	m.mu.Unlock()
	if id == "" || r.SessionID != id {
		return proto.Errorf(proto.ErrSessionUnknown, "This session is not yours.")
	}
	return m.fileReport(ctx, actorEndUser, a.IP, 0, r)
}

// TechFileReport records how one of t's transfers ended.
func (m *Manager) TechFileReport(ctx context.Context, t *Tech, r proto.FileReport) error {
	return m.fileReport(ctx, t.User.Name, t.IP, t.User.ID, r)
}

// fileReport checks a report against the stored transfer (of the session
// it names; of the technician userID, unless 0: the agent) and records
// the first final one.
func (m *Manager) fileReport(ctx context.Context, actor, ip string, userID int64, r proto.FileReport) error {
	if !r.State.Final() {
		return proto.Errorf(proto.ErrBadRequest, "A transfer ends as done, failed, cancelled or refused.")
	}
	if r.SHA256 != "" && !isHex(r.SHA256, 64) {
		return proto.Errorf(proto.ErrBadRequest, "A SHA-256 is 64 hexadecimal digits.")
	}
	unknown := proto.Errorf(proto.ErrTransferUnknown, "There is no transfer %s in session %s.", r.ID, r.SessionID)
	tr, err := m.st.Transfer(ctx, r.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return unknown
	case err != nil:
		return m.internal("look up the transfer", err)
	case tr.SessionID != r.SessionID || (userID != 0 && tr.TechnicianID != userID):
		return unknown
	}
	return m.endTransfer(ctx, tr, actor, ip, r)
}

// endTransfer stores and audits how tr ended, once.
func (m *Manager) endTransfer(ctx context.Context, tr store.Transfer, actor, ip string, r proto.FileReport) error {
	reason, _ := checkText(r.Reason, "reason", 500)
	changed, err := m.st.EndTransfer(ctx, tr.ID, r.State, max(r.Size, 0), r.SHA256, reason, m.cfg.Now())
	if err != nil {
		return m.internal("record the transfer's end", err)
	}
	if changed {
		m.audit(ctx, "file."+string(r.State), actor, ip, tr.SessionID, map[string]string{
			"id": tr.ID, "direction": string(tr.Direction), "name": tr.Name, "technician": tr.Technician,
			"size": fmt.Sprint(r.Size), "sha256": r.SHA256, "reason": reason})
	}
	return nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// FileList lists the transfers of a session t may see (relay/desk's
// Sees, as Details), the newest that fit a frame.
func (m *Manager) FileList(ctx context.Context, t *Tech, id string) (proto.FileList, error) {
	d, err := m.Details(ctx, t, id) // the same visibility, and audited as a read of the session
	if err != nil {
		return proto.FileList{}, err
	}
	list, err := m.st.Transfers(ctx, d.Session.ID)
	if err != nil {
		return proto.FileList{}, m.internal("read the session's transfers", err)
	}
	out := proto.FileList{Transfers: make([]proto.FileTransfer, 0, len(list))}
	for _, tr := range list {
		out.Transfers = append(out.Transfers, proto.FileTransfer{ID: tr.ID, SessionID: tr.SessionID, Technician: tr.Technician,
			Direction: tr.Direction, Name: tr.Name, Size: tr.Size, SHA256: tr.SHA256, State: tr.State, Reason: tr.Reason,
			StartedAt: tr.StartedAt, EndedAt: tr.EndedAt})
	}
	out.Transfers, out.Omitted = newest(out.Transfers, proto.MaxFrame/2)
	if n := len(out.Transfers) - proto.MaxFileList; n > 0 {
		out.Transfers, out.Omitted = out.Transfers[n:], out.Omitted+n
	}
	return out, nil
}

// AgentFileUpload authorises a file the end user sends from the app to
// technician req.Peer: attached and online, with the files permission
// and the end user's permission to control, within the channel's limit.
// The transfer is stored and audited, and offered to the technician's
// console, which opens it.
func (m *Manager) AgentFileUpload(ctx context.Context, a *Agent, req proto.FileUpload) (proto.FileStarted, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > proto.MaxFilePath || !utf8.ValidString(name) || req.Size < 0 {
		return proto.FileStarted{}, proto.Errorf(proto.ErrBadRequest, "Give the file's name (text of at most %d bytes) and size.", proto.MaxFilePath)
	}
	m.mu.Lock()
	l := m.sessions[a.SessionID]
	if l == nil || l.agent != a || req.SessionID != a.SessionID {
		m.mu.Unlock()
		return proto.FileStarted{}, proto.Errorf(proto.ErrSessionUnknown, "This session has ended or is not yours.")
	}
	at := l.techs[req.Peer]
	if at == nil || at.tech == nil {
		m.mu.Unlock()
		return proto.FileStarted{}, proto.Errorf(proto.ErrAgentOffline, "The technician is not connected right now.")
	}
	tech, channel := at.tech, l.s.ChannelID
	err := m.desk.Can(at.user, proto.PermFiles, &l.s, true)
	if err == nil && (at.supervisor || (len(at.granted) > 0 && !at.granted.Has(proto.PermControl))) {
		err = proto.Errorf(proto.ErrForbidden, "%s may not receive files in this session.", at.user.Name)
	}
	m.mu.Unlock()
	if err != nil {
		m.audit(ctx, "desk.refused", actorEndUser, a.IP, a.SessionID, map[string]string{"action": "files", "reason": err.Error()})
		return proto.FileStarted{}, proto.Errorf(proto.ErrForbidden, "%s cannot receive files from you in this session.", tech.User.Name)
	}
	limit, err := m.fileLimit(ctx, channel)
	if err != nil {
		return proto.FileStarted{}, err
	}
	if req.Size > limit {
		return proto.FileStarted{}, proto.Errorf(proto.ErrFileTooLarge, "%s is too large: %s; at most %s may be sent.", name, filexfer.Bytes(req.Size), filexfer.Bytes(limit))
	}
	tr := store.Transfer{ID: newSessionID(), SessionID: a.SessionID, TechnicianID: tech.User.ID, Technician: tech.User.Name,
		Direction: proto.FileUp, Name: name, Size: req.Size, State: proto.FileRunning, StartedAt: m.cfg.Now()}
	if err := m.st.AddTransfer(ctx, tr); err != nil {
		return proto.FileStarted{}, m.internal("store the transfer", err)
	}
	m.audit(ctx, "file.started", actorEndUser, a.IP, a.SessionID, map[string]string{
		"id": tr.ID, "direction": string(tr.Direction), "name": tr.Name, "size": fmt.Sprint(tr.Size), "technician": tr.Technician})
	tech.Conn.Send(proto.TypeFileOffer, &proto.FileOffer{SessionID: a.SessionID, ID: tr.ID,
		Peer: proto.Peer{ID: tech.User.ID, Name: tech.User.Name}, Direction: proto.FileUp, Name: name, Size: req.Size, Limit: limit})
	return proto.FileStarted{ID: tr.ID, Limit: limit}, nil
}
