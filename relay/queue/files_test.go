package queue

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
	"github.com/relaydesk/relaydesk/relay/store"
)

// offerConn is an app that takes every transfer it is offered (or
// refuses them with refuse).
type offerConn struct {
	*fakeConn
	refuse *proto.Failure
}

func (o *offerConn) Request(ctx context.Context, t proto.Type, body any) (proto.Envelope, error) {
	if t != proto.TypeFileOffer {
		return o.fakeConn.Request(ctx, t, body)
	}
	o.Send(t, body)
	if o.refuse != nil {
		b, _ := proto.Marshal(&proto.Error{Code: o.refuse.Code, Message: o.refuse.Message})
		return proto.Envelope{Type: proto.TypeError, Body: b}, nil
	}
	return proto.Envelope{Type: proto.TypeOK}, nil
}

func TestFileStartIsAuthorisedStoredAndOffered(t *testing.T) {
	f := newFixture(t)
	a, reg := f.activeSession()
	app := &offerConn{fakeConn: a.Conn.(*fakeConn)}
	a.Conn = app
	id := reg.SessionID

	got, err := f.m.FileStart(f.ctx, f.tech, proto.FileStart{SessionID: id, Direction: proto.FileSend, Name: "../../report.pdf", Size: 1234})
	if err != nil || got.ID == "" || got.Limit != proto.DefaultFileLimit {
		t.Fatalf("start: %+v %v", got, err)
	}
	var offer proto.FileOffer
	if !app.last(proto.TypeFileOffer, &offer) || offer.ID != got.ID || offer.Name != "../../report.pdf" || offer.Size != 1234 ||
		offer.Peer.ID != f.tech.User.ID || offer.Limit != proto.DefaultFileLimit || offer.Direction != proto.FileSend {
		t.Fatalf("offer to the app: %+v", offer)
	}
	sum := strings.Repeat("ab", 32)
	// Only the app of the session or the technician who started it report.
	other := f.user("olga", store.RoleTechnician)
	if err := f.m.TechFileReport(f.ctx, other, proto.FileReport{SessionID: id, ID: got.ID, State: proto.FileDone}); proto.CodeOf(err) != proto.ErrTransferUnknown {
		t.Fatalf("a stranger's report: %v", err)
	}
	if err := f.m.AgentFileReport(f.ctx, a, proto.FileReport{SessionID: id, ID: got.ID, State: proto.FileDone, Size: 1234, SHA256: sum}); err != nil {
		t.Fatal(err)
	}
	// A later report (the technician cancelling too late) changes nothing.
	if err := f.m.TechFileReport(f.ctx, f.tech, proto.FileReport{SessionID: id, ID: got.ID, State: proto.FileCancelled}); err != nil {
		t.Fatal(err)
	}
	list, err := f.st.Transfers(f.ctx, id)
	if err != nil || len(list) != 1 || list[0].State != proto.FileDone || list[0].SHA256 != sum || list[0].Technician != "aaron" || list[0].Name != "../../report.pdf" {
		t.Fatalf("stored: %+v %v", list, err)
	}
	wantAudit(t, filter(f.auditOf(id), "file."), "file.started aaron ", "file.done end user ")

	// The app names only its own session's transfers.
	if err := f.m.AgentFileReport(f.ctx, a, proto.FileReport{SessionID: "other", ID: got.ID, State: proto.FileDone}); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("the app's report for another session: %v", err)
	}

	// Unknown transfers, bad states and hashes are refused with a sentence.
	for _, r := range []proto.FileReport{
		{SessionID: id, ID: "nope", State: proto.FileDone},
		{SessionID: "other", ID: got.ID, State: proto.FileDone},
	} {
		if err := f.m.TechFileReport(f.ctx, f.tech, r); proto.CodeOf(err) != proto.ErrTransferUnknown || !strings.Contains(err.Error(), "There is no transfer") {
			t.Fatalf("%+v: %v", r, err)
		}
	}
	if err := f.m.TechFileReport(f.ctx, f.tech, proto.FileReport{SessionID: id, ID: got.ID, State: proto.FileRunning}); proto.CodeOf(err) != proto.ErrBadRequest {
		t.Fatalf("not final: %v", err)
	}
	if err := f.m.TechFileReport(f.ctx, f.tech, proto.FileReport{SessionID: id, ID: got.ID, State: proto.FileDone, SHA256: "../x"}); proto.CodeOf(err) != proto.ErrBadRequest {
		t.Fatalf("bad hash: %v", err)
	}

	// The app refuses: the technician hears why, the record says failed.
	f.clk.Add(time.Second)
	app.refuse = proto.Errorf(proto.ErrForbidden, "The end user's app takes no files.")
	if _, err := f.m.FileStart(f.ctx, f.tech, proto.FileStart{SessionID: id, Direction: proto.FileFetch, Name: "/home/ann/a.txt"}); err == nil || err.Error() != "The end user's app takes no files." {
		t.Fatalf("refused by the app: %v", err)
	}
	list, _ = f.st.Transfers(f.ctx, id)
	if len(list) != 2 || list[1].State != proto.FileFailed || list[1].Direction != proto.FileFetch || list[1].Name != "/home/ann/a.txt" {
		t.Fatalf("stored: %+v", list)
	}
	// The session's record lists them for who may see it.
	fl, err := f.m.FileList(f.ctx, f.tech, id)
	if err != nil || len(fl.Transfers) != 2 || fl.Transfers[0].SHA256 != sum || fl.Transfers[1].Reason != "The end user's app takes no files." {
		t.Fatalf("file list: %+v %v", fl, err)
	}
	if _, err := f.m.FileList(f.ctx, other, id); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("a stranger's file list: %v", err)
	}
}

func filter(lines []string, prefix string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

func TestFileStartRefusals(t *testing.T) {
	f := newFixture(t)
	a, reg := f.activeSession()
	a.Conn = &offerConn{fakeConn: a.Conn.(*fakeConn)}
	id := reg.SessionID
	send := func(size int64) error {
		_, err := f.m.FileStart(f.ctx, f.tech, proto.FileStart{SessionID: id, Direction: proto.FileSend, Name: "a.iso", Size: size})
		return err
	}
	// Over the relay's default limit.
	if err := send(proto.DefaultFileLimit + 1); proto.CodeOf(err) != proto.ErrFileTooLarge || err.Error() != "a.iso is too large for this relay: 2147483649 bytes (2.1 GB); at most 2147483648 bytes (2.1 GB) are allowed." {
		t.Fatalf("over the default limit: %v", err)
	}
	// Over the channel's limit.
	ch := store.Channel{Name: "Kiosks", CreatedAt: f.clk.Now()}
	if err := f.st.CreateChannel(f.ctx, &ch); err != nil {
		t.Fatal(err)
	}
	f.st.SetChannelFileLimit(f.ctx, ch.ID, 1000)
	f.m.desk.Reload(f.ctx)
	f.m.mu.Lock()
	f.m.sessions[id].s.ChannelID = ch.ID
	f.m.mu.Unlock()
	if err := send(1001); proto.CodeOf(err) != proto.ErrFileTooLarge || err.Error() != "a.iso is too large for channel Kiosks: 1001 bytes (1.0 kB); at most 1000 bytes (1.0 kB) are allowed." {
		t.Fatalf("over the channel's limit: %v", err)
	}
	if err := send(1000); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	// Without the permission.
	if err := f.st.SetOverrides(f.ctx, f.tech.User.ID, []store.Override{{Permission: proto.PermFiles, Allow: false}}); err != nil {
		t.Fatal(err)
	}
	f.m.desk.Reload(f.ctx)
	if err := send(10); proto.CodeOf(err) != proto.ErrForbidden || err.Error() != "You may not transfer files." {
		t.Fatalf("without the permission: %v", err)
	}
	// Not attached, bad requests.
	other := f.user("olga", store.RoleTechnician)
	if _, err := f.m.FileStart(f.ctx, other, proto.FileStart{SessionID: id, Direction: proto.FileSend, Name: "a", Size: 1}); proto.CodeOf(err) != proto.ErrSessionUnknown {
		t.Fatalf("not attached: %v", err)
	}
	for _, req := range []proto.FileStart{
		{SessionID: id, Direction: "sideways", Name: "a"},
		{SessionID: id, Direction: proto.FileSend, Name: "  "},
		{SessionID: id, Direction: proto.FileSend, Name: "a", Size: -1},
		{SessionID: id, Direction: proto.FileFetch, Name: strings.Repeat("x", proto.MaxFilePath+1)},
	} {
		if _, err := f.m.FileStart(f.ctx, f.tech, req); proto.CodeOf(err) != proto.ErrBadRequest {
			t.Fatalf("%+v: %v", req, err)
		}
	}
	list, _ := f.st.Transfers(f.ctx, id)
	if len(list) != 1 {
		t.Fatalf("refused transfers were stored: %+v", list)
	}
	if got := filter(f.auditOf(id), "desk.refused"); len(got) != 3 {
		t.Fatalf("refusals audited: %q", got)
	}
}

// A technician the end user allowed to watch only moves no files.
func TestFileStartNeedsMoreThanWatching(t *testing.T) {
	f := newFixture(t)
	a := f.agent(yes())
	a.Conn.(*fakeConn).grant = proto.Grant{proto.PermView}
	reg, err := f.m.RegisterAgent(f.ctx, a, proto.AgentRegister{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Connect(f.ctx, f.tech, proto.Connect{Code: reg.Code}, noStage); err != nil {
		t.Fatal(err)
	}
	_, err = f.m.FileStart(f.ctx, f.tech, proto.FileStart{SessionID: reg.SessionID, Direction: proto.FileSend, Name: "a", Size: 1})
	if proto.CodeOf(err) != proto.ErrForbidden || !strings.Contains(err.Error(), "watch only") {
		t.Fatalf("view only: %v", err)
	}
}

// A file the end user sends goes to an attached technician who may
// receive files: stored, audited and offered to their console.
func TestAgentFileUpload(t *testing.T) {
	f := newFixture(t)
	a, reg := f.activeSession()
	id := reg.SessionID
	got, err := f.m.AgentFileUpload(f.ctx, a, proto.FileUpload{SessionID: id, Peer: f.tech.User.ID, Name: "/home/ann/error.png", Size: 500})
	if err != nil || got.ID == "" {
		t.Fatalf("upload: %+v %v", got, err)
	}
	var offer proto.FileOffer
	if !f.tech.Conn.(*fakeConn).last(proto.TypeFileOffer, &offer) || offer.ID != got.ID || offer.Direction != proto.FileUp || offer.Name != "/home/ann/error.png" || offer.Size != 500 {
		t.Fatalf("offer to the console: %+v", offer)
	}
	if err := f.m.TechFileReport(f.ctx, f.tech, proto.FileReport{SessionID: id, ID: got.ID, State: proto.FileDone, Size: 500}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.AgentFileUpload(f.ctx, a, proto.FileUpload{SessionID: id, Peer: 999, Name: "x", Size: 1}); proto.CodeOf(err) != proto.ErrAgentOffline {
		t.Fatalf("to nobody: %v", err)
	}
	if _, err := f.m.AgentFileUpload(f.ctx, a, proto.FileUpload{SessionID: id, Peer: f.tech.User.ID, Name: "x", Size: proto.DefaultFileLimit + 1}); proto.CodeOf(err) != proto.ErrFileTooLarge {
		t.Fatalf("too large: %v", err)
	}
	f.st.SetOverrides(f.ctx, f.tech.User.ID, []store.Override{{Permission: proto.PermFiles, Allow: false}})
	f.m.desk.Reload(f.ctx)
	if _, err := f.m.AgentFileUpload(f.ctx, a, proto.FileUpload{SessionID: id, Peer: f.tech.User.ID, Name: "x", Size: 1}); proto.CodeOf(err) != proto.ErrForbidden || err.Error() != "aaron cannot receive files from you in this session." {
		t.Fatalf("without the permission: %v", err)
	}
	list, _ := f.st.Transfers(f.ctx, id)
	if len(list) != 1 || list[0].Direction != proto.FileUp || list[0].State != proto.FileDone || list[0].Technician != "aaron" {
		t.Fatalf("stored %+v", list)
	}
}

// TestAppReportsATransferAfterItsSessionEnded: a file finishes as the end
// user ends the session; the app's report still makes the record.
func TestAppReportsATransferAfterItsSessionEnded(t *testing.T) {
	f := newFixture(t)
	a, reg := f.activeSession()
	a.Conn = &offerConn{fakeConn: a.Conn.(*fakeConn)}
	id := reg.SessionID
	got, err := f.m.FileStart(f.ctx, f.tech, proto.FileStart{SessionID: id, Direction: proto.FileSend, Name: "report.pdf", Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.m.AgentEnd(f.ctx, a, ""); err != nil {
		t.Fatal(err)
	}
	sum := strings.Repeat("cd", 32)
	if err := f.m.AgentFileReport(f.ctx, a, proto.FileReport{SessionID: id, ID: got.ID, State: proto.FileDone, Size: 10, SHA256: sum}); err != nil {
		t.Fatalf("the app's report after the end: %v", err)
	}
	list, err := f.st.Transfers(f.ctx, id)
	if err != nil || len(list) != 1 || list[0].State != proto.FileDone || list[0].SHA256 != sum {
		t.Fatalf("stored: %+v %v", list, err)
	}
}
