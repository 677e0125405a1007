package proto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	exp := time.Date(2026, 11, 22, 10, 0, 0, 500_000_000, time.UTC)
	msgs := []struct {
		t    Type
		id   uint64
		rep  uint64
		body any
	}{
		{TypeHello, 1, 0, &Hello{Version: Version, Role: RoleAgent, Client: "sos/test"}},
		{TypeAgentRegistered, 0, 1, &AgentRegistered{SessionID: "abc", Code: "012345678", CodeExpiresAt: exp, ResumeKey: "k", Status: "Ready"}},
		{TypeSignal, 0, 0, &Signal{SessionID: "abc", Peer: 7, Kind: "offer", Payload: []byte{0, 1, 2, 255}}},
		{TypeOK, 0, 9, nil},
	}
	for _, m := range msgs {
		if err := w.Write(m.t, m.id, m.rep, m.body); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(&buf)
	for i, m := range msgs {
		env, err := r.Read()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if env.Type != m.t || env.ID != m.id || env.ReplyTo != m.rep {
			t.Fatalf("frame %d: got type %d id %d reply %d", i, env.Type, env.ID, env.ReplyTo)
		}
		if m.body == nil {
			continue
		}
		got := NewBody(env.Type)
		if err := env.Decode(got); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		a, _ := Marshal(got)
		b, _ := Marshal(m.body)
		if !bytes.Equal(a, b) {
			t.Fatalf("frame %d: body changed in transit: %+v", i, got)
		}
	}
	got := AgentRegistered{}
	if _, err := r.Read(); !errors.Is(err, io.EOF) {
		t.Fatalf("after last frame: %v, want EOF", err)
	}
	_ = got
}

func TestTimeSurvivesEncoding(t *testing.T) {
	exp := time.Date(2026, 11, 22, 10, 0, 0, 123_000_000, time.UTC)
	b, err := Marshal(&LinkCreated{SessionID: "s", URL: "u", ExpiresAt: exp})
	if err != nil {
		t.Fatal(err)
	}
	var l LinkCreated
	if err := Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	if d := l.ExpiresAt.Sub(exp); d > time.Microsecond || d < -time.Microsecond {
		t.Fatalf("time changed by %v", d)
	}
}

func TestReaderRejectsOversizedFrame(t *testing.T) {
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], MaxFrame+1)
	_, err := NewReader(bytes.NewReader(hdr[:])).Read()
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge", err)
	}
}

func TestReaderRejectsGarbage(t *testing.T) {
	cases := map[string][]byte{
		"not cbor":    {0xff, 0xff, 0xff},
		"no type":     mustMarshal(t, Envelope{ID: 3}),
		"wrong shape": mustMarshal(t, []int{1, 2, 3}),
		"short map":   {0xa2, 0x01, 0x01},
	}
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			frame := binary.BigEndian.AppendUint32(nil, uint32(len(payload)))
			frame = append(frame, payload...)
			if _, err := NewReader(bytes.NewReader(frame)).Read(); !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
		})
	}
}

func TestTruncatedFrameIsUnexpectedEOF(t *testing.T) {
	frame, err := AppendFrame(nil, TypeHello, 1, 0, &Hello{Version: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewReader(bytes.NewReader(frame[:len(frame)-2])).Read()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want ErrUnexpectedEOF", err)
	}
}

func TestEveryTypeHasABody(t *testing.T) {
	for typ := Type(1); typ < 100; typ++ {
		b := NewBody(typ)
		if b == nil {
			continue
		}
		data, err := Marshal(b)
		if err != nil {
			t.Fatalf("type %d: %v", typ, err)
		}
		if err := Unmarshal(data, NewBody(typ)); err != nil {
			t.Fatalf("type %d: %v", typ, err)
		}
	}
	if NewBody(TypeHello) == nil || NewBody(TypePeerState) == nil || NewBody(999) != nil {
		t.Fatal("NewBody does not know the message types")
	}
}

func TestFailure(t *testing.T) {
	err := Errorf(ErrWrongCode, "No session has code %s.", "123 456 789")
	if CodeOf(err) != ErrWrongCode || err.Error() != "No session has code 123 456 789." {
		t.Fatalf("got %v (%d)", err, CodeOf(err))
	}
	if CodeOf(io.EOF) != ErrInternal {
		t.Fatal("a plain error must count as internal")
	}
	env := Envelope{Type: TypeError}
	env.Body, _ = Marshal(&Error{Code: ErrThrottled, Message: "slow down", RetryAfter: time.Second})
	f := env.AsFailure()
	if f.Code != ErrThrottled || f.Message != "slow down" || f.RetryAfter != time.Second {
		t.Fatalf("got %+v", f)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNewBodyMatchesSeeds checks that every seed message's type decodes
// into the body type it was sent as (NewBody knows every type).
func TestNewBodyMatchesSeeds(t *testing.T) {
	for _, m := range seedMessages() {
		got := NewBody(m.t)
		if got == nil || reflect.TypeOf(got) != reflect.TypeOf(m.body) {
			t.Errorf("type %d: NewBody gives %T, want %T", m.t, got, m.body)
		}
	}
	if NewBody(TypeSessionDetails) == nil || NewBody(TypeSessionDetailsReply) == nil {
		t.Fatal("session details types are unknown")
	}
}

func TestALPNNamesTheVersion(t *testing.T) {
	if want := fmt.Sprintf("relaydesk/%d", Version); ALPN != want {
		t.Fatalf("ALPN %q, want %q", ALPN, want)
	}
}

// TestCallFormMessages: CallForm is a small client request, CallFormInfo
// a reply that carries the organisation's lists (no cap: MaxFrame, like
// Directory); both round-trip.
func TestCallFormMessages(t *testing.T) {
	if MaxBody(TypeCallForm) != MaxRequest || MaxBody(TypeCallFormInfo) != MaxFrame {
		t.Fatalf("limits %d, %d", MaxBody(TypeCallForm), MaxBody(TypeCallFormInfo))
	}
	want := CallFormInfo{Channel: "Service Desk", Form: IntakeForm{Name: FieldOptional, Category: FieldRequired},
		Categories: DefaultCategories, Priorities: DefaultPriorities}
	b, err := Marshal(&want)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := NewBody(TypeCallFormInfo).(*CallFormInfo)
	if !ok || Unmarshal(b, got) != nil || !reflect.DeepEqual(*got, want) {
		t.Fatalf("round trip: %+v", got)
	}
	if _, ok := NewBody(TypeCallForm).(*CallForm); !ok {
		t.Fatal("NewBody does not know CallForm")
	}
	if !FieldOptional.Asked() || !FieldRequired.Asked() || FieldOff.Asked() || FieldMode("").Asked() {
		t.Fatal("FieldMode.Asked")
	}
}
