package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// chatPanel shows the chat with the technicians while one is connected:
// the messages in the relay's order with their senders, an entry and Send
// (Enter sends too).
type chatPanel struct {
	w      *Window
	box    *fyne.Container
	log    *fyne.Container // one label per line
	scroll *container.Scroll
	entry  *widget.Entry
	send   *widget.Button
	lines  []string // what the log shows, for tests
}

func (c *chatPanel) build(w *Window) {
	c.w = w
	c.log = container.NewVBox()
	c.scroll = container.NewVScroll(c.log)
	c.scroll.SetMinSize(fyne.NewSize(0, 120))
	c.entry = widget.NewEntry()
	c.entry.SetPlaceHolder("Write to your technician…")
	c.entry.OnSubmitted = func(string) { c.submit() }
	c.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), c.submit)
	c.box = container.NewBorder(
		widget.NewLabelWithStyle("Chat", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewBorder(nil, nil, nil, c.send, c.entry),
		nil, nil, c.scroll,
	)
	c.box.Hide()
}

// submit hands the entry's text to the Chat action. The message appears
// when the relay sends it back, in the order everyone sees.
func (c *chatPanel) submit() {
	text := strings.TrimSpace(c.entry.Text)
	switch {
	case text == "":
		return
	case len(text) > proto.MaxChat:
		c.add(fmt.Sprintf("(Your message is too long: at most %d characters.)", proto.MaxChat))
		return
	}
	c.entry.SetText("")
	if c.w.act.Chat != nil {
		c.w.act.Chat(text)
	}
}

// add appends a line to the log. Runs on the UI goroutine.
func (c *chatPanel) add(line string) {
	c.lines = append(c.lines, line)
	l := widget.NewLabel(line)
	l.Wrapping = fyne.TextWrapWord
	c.log.Add(l)
	c.scroll.ScrollToBottom()
}

// Chat implements session.UI.
func (w *Window) Chat(m proto.Chat) {
	from := m.From
	if m.FromPeer == 0 {
		from = "You"
	}
	line := fmt.Sprintf("%s %s: %s", m.At.Local().Format("15:04"), from, m.Text)
	fyne.Do(func() { w.chat.add(line) })
}

// ChatFailed tells the end user that a message was not sent, and puts it
// back into the entry when that is empty.
func (w *Window) ChatFailed(text, why string) {
	fyne.Do(func() {
		w.chat.add("(Your message was not sent: " + why + ")")
		if w.chat.entry.Text == "" {
			w.chat.entry.SetText(text)
		}
	})
}
