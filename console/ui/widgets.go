package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// CodeEntry is the session-code field: it keeps only digits, at most nine,
// shows them grouped as "123 456 789" while the technician types, and says
// whether the code is complete.
type CodeEntry struct {
	widget.Entry
	// OnValid hears whether the field holds a complete code, on every change.
	OnValid func(bool)
}

// NewCodeEntry returns an empty code field.
func NewCodeEntry() *CodeEntry {
	e := &CodeEntry{}
	e.ExtendBaseWidget(e)
	e.SetPlaceHolder("123 456 789")
	e.Validator = func(s string) error {
		if _, ok := parseCode(s); !ok {
			return errIncomplete
		}
		return nil
	}
	e.Entry.OnChanged = e.changed
	return e
}

type codeError string

func (e codeError) Error() string { return string(e) }

const errIncomplete = codeError("Enter the 9 digits the end user reads to you.")

// GroupCode formats up to nine digits in groups of three.
func GroupCode(digits string) string {
	var b strings.Builder
	for i, r := range digits {
		if i > 0 && i%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' && b.Len() < 9 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func parseCode(s string) (string, bool) {
	d := digitsOf(s)
	return d, len(d) == 9 && len(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, s)) == 9
}

func (e *CodeEntry) changed(s string) {
	grouped := GroupCode(digitsOf(s))
	if grouped != s {
		e.SetText(grouped) // calls changed again with the grouped text
		e.CursorColumn = len([]rune(grouped))
		e.Refresh()
		return
	}
	if e.OnValid != nil {
		_, ok := parseCode(s)
		e.OnValid(ok)
	}
}

// Code returns the nine digits when the field holds a complete code.
func (e *CodeEntry) Code() (string, bool) { return parseCode(e.Text) }

// queueTable is the queue's table; Enter or a double click connects the
// selected session, Up and Down move the selection.
type queueTable struct {
	widget.Table
	c      *Console
	selRow int // the row the table highlights, -1 for none
}

func newQueueTable(c *Console) *queueTable {
	t := &queueTable{c: c, selRow: -1}
	t.Length = func() (int, int) { return len(c.rows), len(Columns) }
	t.CreateCell = func() fyne.CanvasObject {
		l := widget.NewLabel("")
		l.Truncation = fyne.TextTruncateEllipsis
		return l
	}
	t.UpdateCell = func(id widget.TableCellID, o fyne.CanvasObject) {
		l := o.(*widget.Label)
		if id.Row >= len(c.rows) {
			l.SetText("")
			return
		}
		s := c.rows[id.Row]
		ready := s.Status == proto.StatusReady
		l.TextStyle = fyne.TextStyle{Bold: ready}
		l.Importance = widget.MediumImportance
		switch {
		case ready:
			l.Importance = widget.HighImportance // Ready sessions stand out
		case s.Status == proto.StatusClosed || s.Status == proto.StatusExpired:
			l.Importance = widget.LowImportance
		}
		if id.Col == WaitingColumn && c.queue.Breached(s, c.now()) {
			l.Importance = widget.DangerImportance // past the channel's SLA
			l.TextStyle = fyne.TextStyle{Bold: true}
		}
		l.SetText(c.queue.Cell(s, id.Col, c.now()))
	}
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(Columns) {
			o.(*widget.Label).SetText(Columns[id.Col])
		}
	}
	t.OnSelected = func(id widget.TableCellID) {
		if id.Row >= 0 && id.Row < len(c.rows) {
			t.selRow = id.Row
			c.selected = c.rows[id.Row].ID
			c.showDetails()
		}
	}
	t.ExtendBaseWidget(t)
	for i, w := range []float32{120, 110, 160, 220, 110, 90, 130, 80, 150} {
		t.SetColumnWidth(i, w)
	}
	return t
}

// row is the selected session's row, or -1.
func (t *queueTable) row() int {
	for i, s := range t.c.rows {
		if s.ID == t.c.selected {
			return i
		}
	}
	return -1
}

// DoubleTapped selects the row under the pointer and connects it.
func (t *queueTable) DoubleTapped(e *fyne.PointEvent) {
	t.Table.Tapped(e)
	t.c.connectSelected()
}

// TypedKey handles Enter, Up and Down; the rest goes to the table.
func (t *queueTable) TypedKey(e *fyne.KeyEvent) {
	switch e.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		t.c.connectSelected()
	case fyne.KeyUp, fyne.KeyDown:
		r := t.row()
		if e.Name == fyne.KeyUp {
			r--
		} else {
			r++
		}
		if r >= 0 && r < len(t.c.rows) {
			t.Select(widget.TableCellID{Row: r, Col: 0})
		}
	default:
		t.Table.TypedKey(e)
	}
}
