package share

import (
	"fmt"
	"image"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/agent/overlay"
	"github.com/relaydesk/relaydesk/pkg/proto"
)

// fakeOverlay records what it was asked to show.
type fakeOverlay struct {
	mu          sync.Mutex
	shapes      []proto.DrawShape
	area        image.Rectangle
	clears      int
	unavailable bool
}

func (f *fakeOverlay) Draw(area image.Rectangle, s proto.DrawShape) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.unavailable {
		return 0, fmt.Errorf("%w (test)", overlay.ErrUnavailable)
	}
	f.shapes, f.area = append(f.shapes, s), area
	return len(f.shapes), nil
}

func (f *fakeOverlay) Clear() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shapes = nil
	f.clears++
	return nil
}

func (f *fakeOverlay) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.shapes)
}

// inbox is a technician's drawing channel: the states the app sent it.
type inbox struct {
	mu  sync.Mutex
	got []proto.DrawState
}

func (b *inbox) Send(data []byte) error {
	m, err := proto.DecodeDraw(data)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, *m.(*proto.DrawState))
	return nil
}

func (b *inbox) last(t *testing.T) proto.DrawState {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.got) == 0 {
		t.Fatal("the technician was told nothing")
	}
	return b.got[len(b.got)-1]
}

func (b *inbox) n() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.got)
}

func encode(t *testing.T, m any) []byte {
	t.Helper()
	b, err := proto.EncodeDraw(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Only the technician who holds control draws; the others are told why;
// the drawing goes when its author loses control, and the end user clears
// it; every technician learns what the screen shows.
func TestDrawOnlyWithControl(t *testing.T) {
	ov := &fakeOverlay{}
	s, err := New(Config{Overlay: ov, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var observed []int
	s.OnDrawing(func(n int) { observed = append(observed, n) })
	ctl, guest, viewer := &inbox{}, &inbox{}, &inbox{}
	pc := &peer{id: 1, granted: proto.AllPermissions, draw: ctl}
	pg := &peer{id: 2, granted: proto.AllPermissions, draw: guest}
	pv := &peer{id: 3, granted: proto.Grant{proto.PermView}, draw: viewer} // a channel it should never have had
	s.peers[1], s.peers[2], s.peers[3] = pc, pg, pv
	s.bounds = image.Rect(1920, 0, 3200, 1024)
	s.Block(2, true)

	rect := encode(t, proto.DrawShape{Kind: proto.ShapeRect, Colour: 0xe02020, Points: []float32{0.1, 0.1, 0.5, 0.5}})
	s.onDraw(pc, rect)
	if ov.count() != 1 || ov.area != s.bounds {
		t.Fatalf("overlay shows %d shapes on %v; want 1 on the captured display %v", ov.count(), ov.area, s.bounds)
	}
	for name, b := range map[string]*inbox{"controller": ctl, "guest": guest, "viewer": viewer} {
		if st := b.last(t); st.Shapes != 1 || st.Code != 0 {
			t.Fatalf("the %s was told %+v, want 1 shape", name, st)
		}
	}
	for _, p := range []*peer{pg, pv} {
		s.onDraw(p, rect)
		if st := p.draw.(*inbox).last(t); st.Code != proto.ErrForbidden || st.Message != drawNoControl || st.Shapes != 1 {
			t.Fatalf("technician %d without control was told %+v", p.id, st)
		}
		s.onDraw(p, encode(t, proto.DrawClear{}))
	}
	if ov.count() != 1 || ov.clears != 0 {
		t.Fatalf("technicians without control changed the drawing: %d shapes, %d clears", ov.count(), ov.clears)
	}
	if ctl.n() != 1 {
		t.Fatalf("the controller was told of refusals meant for others: %+v", ctl.got)
	}

	s.onDraw(pc, []byte{0xff, 0x01})
	if st := ctl.last(t); st.Code != proto.ErrBadRequest || st.Shapes != 1 {
		t.Fatalf("garbage answered %+v", st)
	}

	// Control changes hands: the drawing goes, everyone hears why.
	s.Block(1, true)
	if ov.count() != 0 || ov.clears != 1 {
		t.Fatalf("after the controller lost control: %d shapes, %d clears", ov.count(), ov.clears)
	}
	if st := guest.last(t); st.Shapes != 0 || st.Message != drawClearedCtl {
		t.Fatalf("the guest was told %+v", st)
	}
	// Blocking someone who drew nothing clears nothing.
	s.Block(1, false)
	s.Block(2, true)
	if ov.clears != 1 {
		t.Fatalf("blocking a technician who drew nothing cleared the drawing")
	}
	s.onDraw(pc, rect)
	s.onDraw(pc, rect)
	s.ClearDrawing()
	if st := ctl.last(t); st.Shapes != 0 || st.Message != drawClearedUser || ov.count() != 0 {
		t.Fatalf("after the end user cleared: told %+v, overlay %d shapes", st, ov.count())
	}
	s.onDraw(pc, rect)
	s.onDraw(pc, encode(t, proto.DrawClear{}))
	if st := ctl.last(t); st.Shapes != 0 || st.Message != "" || ov.count() != 0 {
		t.Fatalf("after the technician cleared: told %+v, overlay %d shapes", st, ov.count())
	}
	s.onDraw(pc, rect)
	delete(s.peers, 1)
	s.lostControl(1, drawClearedLeft)
	if st := guest.last(t); st.Message != drawClearedLeft || ov.count() != 0 {
		t.Fatalf("after the drawer left: told %+v, overlay %d shapes", st, ov.count())
	}
	want := []int{1, 0, 1, 2, 0, 1, 0, 1, 0}
	if fmt.Sprint(observed) != fmt.Sprint(want) {
		t.Fatalf("the end user's window was told %v, want %v", observed, want)
	}
	s.peers = map[int64]*peer{} // fakes without peer connections: Close has none to close
	s.Close()
}

// Where the overlay cannot draw, the technician hears so (ErrDrawUnavailable);
// before the screen is known, that it is not shared yet.
func TestDrawUnavailable(t *testing.T) {
	ov := &fakeOverlay{unavailable: true}
	s, err := New(Config{Overlay: ov, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	b := &inbox{}
	p := &peer{id: 1, granted: proto.AllPermissions, draw: b}
	arrow := encode(t, proto.DrawShape{Kind: proto.ShapeArrow, Points: []float32{0, 0, 1, 1}})
	s.onDraw(p, arrow)
	if st := b.last(t); st.Code != proto.ErrSessionState || st.Message != drawNoScreen {
		t.Fatalf("before the screen is known: %+v", st)
	}
	s.bounds = image.Rect(0, 0, 800, 600)
	s.onDraw(p, arrow)
	if st := b.last(t); st.Code != proto.ErrDrawUnavailable || st.Message != drawUnavailable {
		t.Fatalf("on a computer without an overlay: %+v", st)
	}
	s.Close()
}
