package proto

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

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

// Reader reads frames from a stream. It is not safe for concurrent use.
type Reader struct {
	r   *bufio.Reader
	buf []byte
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 4096)} }

// Read reads the next frame. io.EOF means the peer closed cleanly between frames.
func (r *Reader) Read() (Envelope, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
		return Envelope{}, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > MaxFrame {
		return Envelope{}, fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, n)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	buf := r.buf[:n]
	if _, err := io.ReadFull(r.r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return Envelope{}, err
	}
	return DecodeEnvelope(buf)
}

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
