package ui

import (
	"strings"
	"sync"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// drawRemote is a fakeRemote that draws.
type drawRemote struct {
	*fakeRemote
	mu      sync.Mutex
	shapes  []proto.DrawShape
	clears  int
	refusal error
}

func (d *drawRemote) DrawShape(s proto.DrawShape) (proto.DrawState, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.refusal != nil {
		return proto.DrawState{}, d.refusal
	}
	d.shapes = append(d.shapes, s)
	return proto.DrawState{Shapes: len(d.shapes)}, nil
}

func (d *drawRemote) ClearDrawing() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clears++
	return nil
}

func (d *drawRemote) drawn() []proto.DrawShape {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]proto.DrawShape(nil), d.shapes...)
}

// drawTab is a connected session tab whose remote draws.
func drawTab(t *testing.T, granted proto.Grant) (*sessionTab, *drawRemote) {
	t.Helper()
	_, be, tab := sessionConsole(t, proto.Connect{Code: "123456789"})
	r := &drawRemote{fakeRemote: be.remotes[0]}
	tab.remote = r
	tab.Connected(proto.Connected{Session: proto.SessionInfo{ID: "s1", Status: "Active"}, Granted: granted})
	testLoop.run()
	return tab, r
}

// With Draw on, a drag on the screen draws the chosen shape in the chosen
// colour and moves nothing on the end user's computer; a long freehand
// line goes in parts that join; off again, the pointer is input again.
func TestDrawToolsDrawInsteadOfInput(t *testing.T) {
	tab, r := drawTab(t, proto.AllPermissions)
	if tab.dr.toggle.Disabled() {
		t.Fatal("Draw is disabled for a technician with control")
	}
	tab.dr.toggle.SetChecked(true)
	tab.dr.shape.SetSelected("Rectangle")
	tab.dr.colour.SetSelected("Blue")
	for _, in := range []proto.Input{
		{Kind: proto.InputMove, X: 0.05, Y: 0.05}, // hovering draws nothing
		{Kind: proto.InputDown, Button: "left", X: 0.1, Y: 0.2},
		{Kind: proto.InputMove, X: 0.3, Y: 0.3},
		{Kind: proto.InputMove, X: 0.5, Y: 0.6},
		{Kind: proto.InputUp, Button: "left", X: 0.5, Y: 0.6},
	} {
		if err := tab.sendInput(in); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the rectangle", func() bool { return len(r.drawn()) == 1 })
	got := r.drawn()[0]
	if got.Kind != proto.ShapeRect || got.Colour != proto.DrawColours["blue"] || len(got.Points) != 4 ||
		got.Points[0] != 0.1 || got.Points[1] != 0.2 || got.Points[2] != 0.5 || got.Points[3] != 0.6 {
		t.Fatalf("drew %+v", got)
	}
	eventually(t, "the status", func() bool { return strings.Contains(tab.status.Text, "Drawn on the end user's screen (1 shapes)") })

	tab.dr.shape.SetSelected("Freehand")
	tab.sendInput(proto.Input{Kind: proto.InputDown, Button: "left", X: 0, Y: 0})
	for i := 1; i < 700; i++ {
		tab.sendInput(proto.Input{Kind: proto.InputMove, X: float64(i) / 1000, Y: 0.5})
	}
	tab.sendInput(proto.Input{Kind: proto.InputUp, Button: "left", X: -1, Y: -1}) // released outside the view
	eventually(t, "the freehand line", func() bool { return len(r.drawn()) == 3 })
	first, second := r.drawn()[1], r.drawn()[2]
	if first.N() != proto.MaxDrawPoints || first.Check() != nil || second.Check() != nil {
		t.Fatalf("the parts have %d and %d points (%v, %v)", first.N(), second.N(), first.Check(), second.Check())
	}
	if x, y := second.Point(0); x != float64(first.Points[len(first.Points)-2]) || y != float64(first.Points[len(first.Points)-1]) {
		t.Fatalf("the second part starts at %v,%v, not where the first ended", x, y)
	}
	if first.N()+second.N() != 700+1 {
		t.Fatalf("%d points drawn of 700", first.N()+second.N()-1)
	}
	r.mu.Lock()
	inputs := len(r.inputs)
	r.mu.Unlock()
	if inputs != 0 {
		t.Fatalf("drawing sent %d input events to the end user's computer", inputs)
	}

	tab.dr.clear.OnTapped()
	eventually(t, "the clear", func() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.clears == 1 })
	tab.DrawState(proto.DrawState{Message: "The end user cleared the drawing."})
	eventually(t, "the end user's clear", func() bool { return tab.status.Text == "The end user cleared the drawing." })

	r.mu.Lock()
	r.refusal = &proto.Failure{Code: proto.ErrForbidden, Message: "Only the technician who controls the end user's computer can draw on its screen."}
	r.mu.Unlock()
	tab.dr.shape.SetSelected("Arrow")
	tab.sendInput(proto.Input{Kind: proto.InputDown, Button: "left", X: 0.1, Y: 0.1})
	tab.sendInput(proto.Input{Kind: proto.InputUp, Button: "left", X: 0.9, Y: 0.9})
	eventually(t, "the refusal", func() bool {
		return tab.status.Text == "Not drawn: Only the technician who controls the end user's computer can draw on its screen."
	})

	tab.dr.toggle.SetChecked(false)
	tab.sendInput(proto.Input{Kind: proto.InputMove, X: 0.5, Y: 0.5})
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.inputs) != 1 {
		t.Fatalf("with Draw off the pointer sent %d events, want 1", len(r.inputs))
	}
}

// A technician allowed to view only gets no drawing tools.
func TestDrawToolsOffForViewOnly(t *testing.T) {
	tab, _ := drawTab(t, proto.Grant{proto.PermView})
	if !tab.dr.toggle.Disabled() || !tab.dr.clear.Disabled() {
		t.Fatal("the drawing tools are enabled for a view-only technician")
	}
}
