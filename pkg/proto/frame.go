package proto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// MaxFrame is the largest frame either side accepts, in bytes.
const MaxFrame = 1 << 20

// Envelope is one frame's content.
type Envelope struct {
	Type    Type            `cbor:"1,keyasint"`
	ID      uint64          `cbor:"2,keyasint,omitempty"`
	ReplyTo uint64          `cbor:"3,keyasint,omitempty"`
	Body    cbor.RawMessage `cbor:"4,keyasint,omitempty"`
}

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.EncOptions{Time: cbor.TimeUnixDynamic}.EncMode()
	if err != nil {
		panic(err)
	}
	decMode, err = cbor.DecOptions{
		MaxNestedLevels:   16,
		MaxArrayElements:  10000,
		MaxMapPairs:       1000,
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsAllowed,
		ExtraReturnErrors: cbor.ExtraDecErrorNone,
	}.DecMode()
	if err != nil {
		panic(err)
	}
}

// Marshal encodes a message body.
func Marshal(v any) ([]byte, error) { return encMode.Marshal(v) }

// Unmarshal decodes a message body; any failure wraps ErrMalformed.
func Unmarshal(data []byte, v any) error {
	if err := decMode.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// Decode decodes the envelope's body into v.
func (e Envelope) Decode(v any) error {
	if err := Unmarshal(e.Body, v); err != nil {
		return fmt.Errorf("decode type %d: %w", e.Type, err)
	}
	return nil
}

// AsFailure decodes an Error envelope into a *Failure.
func (e Envelope) AsFailure() *Failure {
	var m Error
	if err := e.Decode(&m); err != nil {
		return &Failure{Code: ErrProtocol, Message: "The relay sent an error that could not be read."}
	}
	return &Failure{Code: m.Code, Message: m.Message, RetryAfter: m.RetryAfter}
}

// Frame reading limits. A frame's buffer grows as its bytes arrive, so an
// announced length costs nothing until the peer actually sends the bytes
// (which QUIC flow control paces); a buffer that grew past keepBuffer is
// dropped after its frame, so one large frame does not pin memory for the
// connection's life.
const (
	// FrameTimeout is how long a frame that has started (its length was
	// read) may take to arrive whole. Idle time between frames is not
	// limited here: keep-alives and the relay's own deadlines cover it.
	FrameTimeout = 30 * time.Second
	// MaxRequest is the limit of the small messages a client sends before
	// or while signing in (Hello, Login, Auth, AgentRegister, ...).
	MaxRequest = 16 << 10
	// MaxSignal is the limit of a Signal (an SDP offer with many candidates).
	MaxSignal = 64 << 10
	// MaxEvent is the limit of a relay event about one session (QueueUpdate,
	// Connected, Chat, ...).
	MaxEvent = 64 << 10

	firstChunk = 4 << 10
	keepBuffer = 64 << 10
)

// MaxBody returns the largest frame (envelope included) allowed for a
// message of type t: MaxRequest for what clients send, MaxSignal for Signal,
// MaxFrame for the relay's paged or capped lists (QueueSnapshot and its
// pages, SessionDetails) and for unknown types, MaxEvent for the rest.
func MaxBody(t Type) int {
	switch t {
	case TypeHello, TypeWelcome, TypeError, TypeOK, TypeAgentRegister, TypeConsentAnswer,
		TypeLogin, TypeLoginOK, TypeAuth, TypeQueueSubscribe, TypeLinkCreate, TypeLinkCreated,
		TypeConnect, TypeConnectStage, TypeEnd, TypeSessionEnded, TypePeerJoined, TypePeerLeft,
		TypePeerState, TypeConsentGone, TypeRate, TypeSessionDetails, TypeChat,
		TypePick, TypeTransfer, TypeInvite, TypeInviteAnswer, TypeNoteAdd, TypeSessionUpdate,
		TypeHistory, TypeAvailability, TypeDirectory, TypeHandover, TypeControl, TypeControlChanged, TypeCallForm,
		TypeGuestRemove, TypeRecordsLinkRequest, TypeRecordsLink, TypeFileStart, TypeFileStarted, TypeFileOffer, TypeFileReport, TypeFileList, TypeFileUpload,
		TypeRecordRequest, TypeRecordConsent, TypeRecordAnswer, TypeRecordState:
		return MaxRequest
	case TypeSignal:
		return MaxSignal
	case TypeAgentRegistered, TypeCodeRenewed, TypeConsentRequest, TypeQueueUpdate, TypeConnected,
		TypeSessionReply, TypeNotice:
		return MaxEvent
	}
	return MaxFrame
}

// ErrFrameTimeout means a frame was started but not finished within FrameTimeout.
var ErrFrameTimeout = errors.New("proto: frame not finished in time")

// deadliner is a stream with read deadlines (a QUIC stream, a net.Conn).
type deadliner interface {
	SetReadDeadline(t time.Time) error
}

// Reader reads frames from a stream. It is not safe for concurrent use.
type Reader struct {
	r   *bufio.Reader
	dl  deadliner // nil: the stream has no deadlines
	buf []byte
	// Timeout is the per-frame deadline (FrameTimeout by NewReader; 0: none).
	Timeout time.Duration
}

// NewReader returns a Reader on r. When r has read deadlines
// (SetReadDeadline), every frame must arrive whole within FrameTimeout of
// its first byte.
func NewReader(r io.Reader) *Reader {
	dl, _ := r.(deadliner)
	return &Reader{r: bufio.NewReaderSize(r, 4096), dl: dl, Timeout: FrameTimeout}
}

// Read reads the next frame. io.EOF means the peer closed cleanly between
// frames. A frame over its type's limit (MaxBody) is refused with
// ErrFrameTooLarge, before its body is read when the envelope starts with
// its type (as every frame this package writes does), else right after it
// arrived; one that does not arrive in time fails with ErrFrameTimeout.
func (r *Reader) Read() (Envelope, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r.r, hdr[:1]); err != nil {
		return Envelope{}, err
	}
	if r.dl != nil && r.Timeout > 0 {
		r.dl.SetReadDeadline(time.Now().Add(r.Timeout))
		defer r.dl.SetReadDeadline(time.Time{})
	}
	if _, err := io.ReadFull(r.r, hdr[1:]); err != nil {
		return Envelope{}, r.bodyErr(err)
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n > MaxFrame {
		return Envelope{}, fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, n)
	}
	if t, ok := r.peekType(n); ok && n > MaxBody(t) {
		return Envelope{}, fmt.Errorf("%w: %d bytes for message type %d (at most %d)", ErrFrameTooLarge, n, t, MaxBody(t))
	}
	buf, err := r.readBody(n)
	if err != nil {
		return Envelope{}, r.bodyErr(err)
	}
	env, err := DecodeEnvelope(buf)
	if err == nil && n > MaxBody(env.Type) {
		err = fmt.Errorf("%w: %d bytes for message type %d (at most %d)", ErrFrameTooLarge, n, env.Type, MaxBody(env.Type))
	}
	return env, err
}

// bodyErr names a failure inside a frame.
func (r *Reader) bodyErr(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("%w (%v)", ErrFrameTimeout, r.Timeout)
	}
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// peekType reads the message type from the start of a frame of n bytes
// without consuming it: a CBOR map whose first key is 1 (Type), as
// AppendFrame writes it. ok is false for any other layout.
func (r *Reader) peekType(n int) (Type, bool) {
	b, _ := r.r.Peek(min(n, 5))
	if len(b) < 3 || b[0] < 0xa1 || b[0] > 0xb7 || b[1] != 0x01 {
		return 0, false
	}
	switch v := b[2]; {
	case v < 0x18:
		return Type(v), true
	case v == 0x18 && len(b) >= 4:
		return Type(b[3]), true
	case v == 0x19 && len(b) >= 5:
		return Type(binary.BigEndian.Uint16(b[3:5])), true
	}
	return 0, false
}

// readBody reads n bytes into a buffer that grows (doubling) as they arrive.
func (r *Reader) readBody(n int) ([]byte, error) {
	buf := r.buf[:0]
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), max(cap(buf), firstChunk)))
		}
		m, err := r.r.Read(buf[len(buf):min(n, cap(buf))])
		buf = buf[:len(buf)+m]
		if err != nil && len(buf) < n {
			r.keep(buf)
			return nil, err
		}
	}
	r.keep(buf)
	return buf, nil
}

// keep holds on to buf for the next frame unless it grew past keepBuffer.
func (r *Reader) keep(buf []byte) {
	if cap(buf) > keepBuffer {
		r.buf = nil
		return
	}
	r.buf = buf
}

// BufferSize is the capacity the Reader holds between frames (for tests).
func (r *Reader) BufferSize() int { return cap(r.buf) }

// DecodeEnvelope decodes one frame's payload (without its length prefix).
// The returned Body does not alias data.
func DecodeEnvelope(data []byte) (Envelope, error) {
	var e Envelope
	if err := Unmarshal(data, &e); err != nil {
		return Envelope{}, err
	}
	if e.Type == 0 {
		return Envelope{}, fmt.Errorf("%w: no message type", ErrMalformed)
	}
	if e.Body != nil {
		e.Body = append(cbor.RawMessage(nil), e.Body...)
	}
	return e, nil
}

// Writer writes frames to a stream. It is safe for concurrent use; each
// frame is written whole.
type Writer struct {
	mu sync.Mutex
	w  io.Writer
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write sends one message of type t with the given body.
func (w *Writer) Write(t Type, id, replyTo uint64, body any) error {
	frame, err := AppendFrame(nil, t, id, replyTo, body)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, err = w.w.Write(frame)
	return err
}

// AppendFrame appends the encoded frame to dst.
func AppendFrame(dst []byte, t Type, id, replyTo uint64, body any) ([]byte, error) {
	env := Envelope{Type: t, ID: id, ReplyTo: replyTo}
	if body != nil {
		b, err := Marshal(body)
		if err != nil {
			return dst, fmt.Errorf("encode type %d: %w", t, err)
		}
		env.Body = b
	}
	payload, err := Marshal(env)
	if err != nil {
		return dst, fmt.Errorf("encode envelope: %w", err)
	}
	if len(payload) > MaxFrame {
		return dst, fmt.Errorf("encode type %d: %w", t, ErrFrameTooLarge)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(payload)))
	return append(dst, payload...), nil
}
