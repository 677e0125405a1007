package proto

import (
	"bytes"
	"testing"
	"time"
)

// FuzzReadFrame feeds arbitrary bytes to the frame reader: it must never
// panic, and whatever it accepts must encode again to a readable frame.
func FuzzReadFrame(f *testing.F) {
	for _, b := range seedFrames(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data))
		for i := 0; i < 8; i++ {
			env, err := r.Read()
			if err != nil {
				return
			}
			again, err := AppendFrame(nil, env.Type, env.ID, env.ReplyTo, nil)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if _, err := NewReader(bytes.NewReader(again)).Read(); err != nil {
				t.Fatalf("re-read: %v", err)
			}
			if body := NewBody(env.Type); body != nil && env.Body != nil {
				_ = env.Decode(body) // must not panic
			}
		}
	})
}

// FuzzBodies decodes arbitrary bytes as every message body: no panic, and a
// body that decodes encodes again.
func FuzzBodies(f *testing.F) {
	for _, b := range seedBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for typ := Type(1); typ < 128; typ++ { // every type NewBody knows
			body := NewBody(typ)
			if body == nil {
				continue
			}
			if err := Unmarshal(data, body); err != nil {
				continue
			}
			if _, err := Marshal(body); err != nil {
				t.Fatalf("type %d decoded but does not encode: %v", typ, err)
			}
		}
	})
}

func seedFrames(tb testing.TB) [][]byte {
	var out [][]byte
	for _, m := range seedMessages() {
		b, err := AppendFrame(nil, m.t, 1, 0, m.body)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func seedBodies(tb testing.TB) [][]byte {
	var out [][]byte
	for _, m := range seedMessages() {
		b, err := Marshal(m.body)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

type seed struct {
	t    Type
	body any
}

func seedMessages() []seed {
	return []seed{
		{TypeHello, &Hello{Version: Version, Role: RoleTechnician, Client: "console"}},
		{TypeAgentRegister, &AgentRegister{LinkToken: "tok", Device: DeviceInfo{OS: "linux", Hostname: "pc", LocalIPs: []string{"10.0.0.2"}, Displays: []Display{{ID: 0, Width: 1920, Height: 1080, Primary: true}}}}},
		{TypeConnect, &Connect{Code: "123456789"}},
		{TypeSignal, &Signal{SessionID: "s", Peer: 2, Kind: "candidate", Payload: []byte("candidate:1 1 udp 1 127.0.0.1 9 typ host")}},
		{TypeQueueSnapshot, &QueueSnapshot{Sessions: []SessionInfo{{ID: "s", Kind: "link", Status: "Ready", Technicians: []string{"a"}}}}},
		{TypeError, &Error{Code: ErrWrongCode, Message: "No session has that code."}},
		{TypeChat, &Chat{SessionID: "s", From: "Tina", FromPeer: 2, Text: "Bitte klicken Sie auf Start ✓", At: time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)}},
		{TypeRate, &Rate{SessionID: "s", Stars: 5, Comment: "Quick and friendly.", ResumeKey: "key"}},
		{TypeSessionDetailsReply, &SessionDetails{
			Session: SessionInfo{ID: "s", Kind: "code", Status: "Closed", Rating: 4, RatingComment: "ok"},
			Chat:    []Chat{{SessionID: "s", From: "End user", Text: "hi"}},
			History: []SessionEvent{{Status: "Ready", Actor: "end user"}, {Status: "Closed", Actor: "Tina", Detail: "ended by the technician"}},
		}},
		{TypePeerJoined, &PeerJoined{SessionID: "s", Peer: Peer{ID: 2, Name: "Tina"}, ICE: []ICEServer{{URLs: []string{"turn:relay.example:4433?transport=udp"}, Username: "1700000000:s:a", Credential: "c"}}}},
		{TypeICERenewed, &ICERenewed{SessionID: "s", ICE: []ICEServer{{URLs: []string{"turn:relay.example:4433?transport=udp"}, Username: "1700000000:s:a", Credential: "c"}}}},
		{TypeCallForm, &CallForm{ChannelToken: "tok"}},
		{TypeCallFormInfo, &CallFormInfo{Channel: "Service Desk", Form: IntakeForm{Name: FieldOptional, Problem: FieldRequired, Category: FieldRequired, Priority: FieldOff},
			Categories: []string{"hardware", "software"}, Priorities: []string{"high", "low"}}},
	}
}

// FuzzDecodeInput decodes arbitrary data-channel messages as input, cursor
// and clipboard messages: no panic, and what is accepted is well-formed and
// encodes again.
func FuzzDecodeInput(f *testing.F) {
	for _, in := range []Input{{Kind: InputMove, X: 0.5, Y: 0.25}, {Kind: InputKeyDn, Key: "Return"}, {Kind: InputText, Text: "héllo"}, {Kind: InputWheel, DY: -3}} {
		b, _ := Marshal(in)
		f.Add(b)
	}
	c, _ := Marshal(Cursor{X: 0.5, Y: 0.5, Visible: true, Serial: 7, W: 1, H: 1, RGBA: []byte{1, 2, 3, 4}})
	f.Add(c)
	f.Fuzz(func(t *testing.T, data []byte) {
		if cur, err := DecodeCursor(data); err == nil && cur.RGBA != nil && len(cur.RGBA) != cur.W*cur.H*4 {
			t.Fatalf("cursor shape %dx%d with %d bytes accepted", cur.W, cur.H, len(cur.RGBA))
		}
		DecodeClipboard(data)
		in, err := DecodeInput(data)
		if err != nil {
			return
		}
		if in.Kind < InputMove || in.Kind > InputRelAll {
			t.Fatalf("kind %d accepted", in.Kind)
		}
		if _, err := Marshal(in); err != nil {
			t.Fatal(err)
		}
	})
}
