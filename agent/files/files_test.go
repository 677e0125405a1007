package files

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/filexfer"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

type askUI struct {
	allow bool
	mu    sync.Mutex
	asked []string
}

func (a *askUI) AskFetch(_ context.Context, tech, path string, size int64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, tech+" "+path)
	return a.allow
}

func (a *askUI) FileEvent(string, filexfer.Event) {}

// The app takes only what the relay offered, for the technician it was
// offered for, within the limit; a fetch needs the end user's yes.
func TestAcceptOnlyOfferedTransfers(t *testing.T) {
	var reports []proto.FileReport
	var mu sync.Mutex
	s := New(Config{Dir: t.TempDir(), Report: func(_ context.Context, r proto.FileReport) error {
		mu.Lock()
		reports = append(reports, r)
		mu.Unlock()
		return nil
	}})
	ui := &askUI{}
	s.SetUI(ui)
	ann := proto.Peer{ID: 7, Name: "ann"}
	if err := s.Offer(proto.FileOffer{SessionID: "s", ID: "01", Peer: ann, Direction: proto.FileSend, Name: "../../x.txt", Size: 2000, Limit: 1000}); proto.CodeOf(err) != proto.ErrFileTooLarge {
		t.Fatalf("over the limit: %v", err)
	}
	if err := s.Offer(proto.FileOffer{SessionID: "s", ID: "02", Peer: ann, Direction: proto.FileSend, Name: "../../x.txt", Size: 10, Limit: 1000}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.accept(ctx, 7, proto.FileMsg{Kind: proto.FileOpen, ID: "01"}); err == nil {
		t.Fatal("a refused offer was accepted")
	}
	if _, err := s.accept(ctx, 8, proto.FileMsg{Kind: proto.FileOpen, ID: "02"}); err == nil || !strings.Contains(err.Error(), "did not announce") {
		t.Fatalf("another technician's transfer: %v", err)
	}
	j, err := s.accept(ctx, 7, proto.FileMsg{Kind: proto.FileOpen, ID: "02"})
	if err != nil || j.Name != "x.txt" || j.Limit != 10 || j.Send {
		t.Fatalf("job %+v %v", j, err)
	}

	local := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(local, []byte("hello"), 0o644)
	s.Offer(proto.FileOffer{SessionID: "s", ID: "03", Peer: ann, Direction: proto.FileFetch, Name: local, Limit: 1000})
	if _, err := s.accept(ctx, 7, proto.FileMsg{Kind: proto.FileOpen, ID: "03"}); err == nil || !strings.Contains(err.Error(), "did not allow") {
		t.Fatalf("declined fetch: %v", err)
	}
	ui.allow = true
	j, err = s.accept(ctx, 7, proto.FileMsg{Kind: proto.FileOpen, ID: "03"})
	if err != nil || !j.Send || j.Path != local || j.Size != 5 || j.Name != "notes.txt" {
		t.Fatalf("allowed fetch: %+v %v", j, err)
	}
	s.Offer(proto.FileOffer{SessionID: "s", ID: "04", Peer: ann, Direction: proto.FileFetch, Name: local, Limit: 4})
	if _, err := s.accept(ctx, 7, proto.FileMsg{Kind: proto.FileOpen, ID: "04"}); err == nil || !strings.Contains(err.Error(), "at most 4 B") {
		t.Fatalf("fetch over the limit: %v", err)
	}
	s.Offer(proto.FileOffer{SessionID: "s", ID: "05", Peer: ann, Direction: proto.FileFetch, Name: filepath.Dir(local), Limit: 1000})
	if _, err := s.accept(ctx, 7, proto.FileMsg{Kind: proto.FileOpen, ID: "05"}); err == nil || !strings.Contains(err.Error(), "There is no file") {
		t.Fatalf("a folder: %v", err)
	}
	s.Close()
	if len(ui.asked) != 2 || ui.asked[0] != "ann "+local {
		t.Fatalf("asked %q", ui.asked)
	}
	mu.Lock()
	defer mu.Unlock()
	refused := map[string]bool{}
	for _, r := range reports {
		refused[r.ID] = r.State == proto.FileRefused && r.Reason != ""
	}
	if len(reports) != 3 || !refused["03"] || !refused["04"] || !refused["05"] {
		t.Fatalf("reports %+v", reports)
	}
}

// A file the end user sends is offered by the relay first; the
// technician it went to then opens it, without a question.
func TestUploadNeedsTheRelayFirst(t *testing.T) {
	local := filepath.Join(t.TempDir(), "error.png")
	os.WriteFile(local, []byte("png"), 0o644)
	var asked []string
	s := New(Config{Dir: t.TempDir(), Upload: func(_ context.Context, name string, size int64) (proto.FileOffer, error) {
		asked = append(asked, name)
		if strings.HasSuffix(name, "refused.png") {
			return proto.FileOffer{}, proto.Errorf(proto.ErrForbidden, "ann cannot receive files from you in this session.")
		}
		return proto.FileOffer{SessionID: "s", ID: "0a", Peer: proto.Peer{ID: 7}, Direction: proto.FileUp, Name: name, Size: size, Limit: 1000}, nil
	}})
	defer s.Close()
	s.SetUI(&askUI{})
	ctx := context.Background()
	if err := s.Upload(ctx, filepath.Dir(local)); err == nil || len(asked) != 0 {
		t.Fatalf("a folder: %v, asked the relay %v", err, asked)
	}
	refused := filepath.Join(filepath.Dir(local), "refused.png")
	os.WriteFile(refused, []byte("x"), 0o644)
	if err := s.Upload(ctx, refused); err == nil || err.Error() != "ann cannot receive files from you in this session." {
		t.Fatalf("refused by the relay: %v", err)
	}
	if err := s.Upload(ctx, local); err != nil {
		t.Fatal(err)
	}
	j, err := s.accept(ctx, 7, proto.FileMsg{Kind: proto.FileOpen, ID: "0a"})
	if err != nil || !j.Send || j.Path != local || j.Size != 3 || j.Name != "error.png" {
		t.Fatalf("job %+v %v", j, err)
	}
	os.WriteFile(local, []byte("changed"), 0o644)
	if _, err := s.accept(ctx, 7, proto.FileMsg{Kind: proto.FileOpen, ID: "0a"}); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("a changed file: %v", err)
	}
}
