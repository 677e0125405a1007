package proto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// header is a frame length prefix announcing n bytes.
func header(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

// A peer that announces a MaxFrame body and sends only a little of it pins
// a buffer the size of what it sent, not of what it announced.
func TestReaderGrowsAsBytesArrive(t *testing.T) {
	frame := append(header(MaxFrame), 0xa2, 0x01, 0x18, 0x18) // type 24 (QueueSnapshot, MaxFrame allowed)
	frame = append(frame, bytes.Repeat([]byte{0}, 100)...)
	r := NewReader(bytes.NewReader(frame))
	if _, err := r.Read(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("got %v, want ErrUnexpectedEOF", err)
	}
	if got := r.BufferSize(); got > firstChunk {
		t.Fatalf("the reader holds %d bytes after a 104-byte partial frame; want at most %d", got, firstChunk)
	}
}

// A message whose type is known from the frame's first bytes is refused
// over its limit before its body is read.
func TestReaderRefusesOversizedHelloBeforeItsBody(t *testing.T) {
	frame := append(header(MaxRequest+1), 0xa2, 0x01, 0x01) // type 1 (Hello); the body never comes
	_, err := NewReader(bytes.NewReader(frame)).Read()
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge before the body", err)
	}
	if !strings.Contains(err.Error(), "type 1") {
		t.Fatalf("the error does not name the message type: %v", err)
	}
}

// An envelope laid out differently (Type not first) is checked once decoded.
func TestReaderRefusesOversizedMessageOfUnusualLayout(t *testing.T) {
	body := append([]byte{0x59, 0x50, 0x00}, bytes.Repeat([]byte{'x'}, 0x5000)...) // 20 KiB byte string
	payload := append([]byte{0xa2, 0x04}, body...)
	payload = append(payload, 0x01, 0x14) // Type 20 (Login) last
	frame := append(header(len(payload)), payload...)
	_, err := NewReader(bytes.NewReader(frame)).Read()
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("got %v, want ErrFrameTooLarge", err)
	}
}

func TestLimitsLetHonestMessagesThrough(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	big := QueueSnapshot{}
	for i := range 3000 {
		big.Sessions = append(big.Sessions, SessionInfo{ID: strings.Repeat("s", 40), Kind: "code", Status: "Ready", CustomerName: strings.Repeat("n", 200), Rating: i % 5})
	}
	if err := w.Write(TypeQueueSnapshot, 0, 1, &big); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(TypeHello, 1, 0, &Hello{Version: Version, Role: RoleAgent, Client: strings.Repeat("c", 8000)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(TypeSignal, 0, 0, &Signal{SessionID: "s", Kind: "offer", Payload: bytes.Repeat([]byte{'v'}, 40<<10)}); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf)
	for _, want := range []Type{TypeQueueSnapshot, TypeHello, TypeSignal} {
		env, err := r.Read()
		if err != nil || env.Type != want {
			t.Fatalf("got type %d, %v; want type %d", env.Type, err, want)
		}
		if want == TypeQueueSnapshot && r.BufferSize() != 0 {
			t.Fatalf("the reader keeps %d bytes after a large frame; want it dropped", r.BufferSize())
		}
	}
	if r.BufferSize() == 0 || r.BufferSize() > keepBuffer {
		t.Fatalf("the reader holds %d bytes after small frames; want a reusable buffer of at most %d", r.BufferSize(), keepBuffer)
	}
}

// A frame that starts must finish within the reader's timeout; the time
// between frames is not limited.
func TestReaderFrameDeadline(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	r := NewReader(a)
	r.Timeout = 200 * time.Millisecond
	frame, err := AppendFrame(nil, TypeHello, 1, 0, &Hello{Version: Version, Role: RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(400 * time.Millisecond) // idle between frames: allowed
		b.Write(frame)
		b.Write(frame[:5]) // a frame that starts and stalls
	}()
	if env, err := r.Read(); err != nil || env.Type != TypeHello {
		t.Fatalf("after an idle pause: %v", err)
	}
	start := time.Now()
	_, err = r.Read()
	if !errors.Is(err, ErrFrameTimeout) {
		t.Fatalf("got %v, want ErrFrameTimeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the stalled frame failed after %v", d)
	}
}

func TestMaxBodyCoversClientRequests(t *testing.T) {
	for _, typ := range []Type{TypeHello, TypeLogin, TypeAuth, TypeAgentRegister, TypeConnect, TypeChat, TypeRate} {
		if MaxBody(typ) != MaxRequest {
			t.Errorf("type %d: limit %d, want %d", typ, MaxBody(typ), MaxRequest)
		}
	}
	if MaxBody(TypeQueueSnapshot) != MaxFrame || MaxBody(999) != MaxFrame {
		t.Error("replies with lists and unknown types must keep MaxFrame")
	}
}

func TestDeviceCap(t *testing.T) {
	honest := DeviceInfo{OS: "linux", Hostname: "pc-17", LocalIPs: []string{"10.0.0.5"}, Displays: []Display{{ID: 1, Width: 1920, Height: 1080}}}
	if cut := honest.Cap(); cut != nil || honest.Hostname != "pc-17" {
		t.Fatalf("an honest device was changed: %v %+v", cut, honest)
	}
	long := DeviceInfo{
		Hostname: strings.Repeat("é", 200), // 400 bytes
		LocalIPs: make([]string, 100),
		Displays: make([]Display, 40),
		Username: strings.Repeat("u", MaxDeviceString),
	}
	cut := long.Cap()
	if len(long.Hostname) > MaxDeviceString || len(long.Hostname) < MaxDeviceString-1 || !utf8.ValidString(long.Hostname) {
		t.Fatalf("host name cut to %d bytes (valid UTF-8: %v)", len(long.Hostname), utf8.ValidString(long.Hostname))
	}
	if len(long.LocalIPs) != MaxLocalIPs || len(long.Displays) != MaxDisplays || len(long.Username) != MaxDeviceString {
		t.Fatalf("lists not capped: %d IPs, %d displays, user %d bytes", len(long.LocalIPs), len(long.Displays), len(long.Username))
	}
	if strings.Join(cut, ",") != "hostname,local_ips,displays" {
		t.Fatalf("cut %v", cut)
	}
}
