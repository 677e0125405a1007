package proto

// Input travels from a technician to the agent on the WebRTC data channel
// named InputChannel (reliable, ordered), one CBOR-encoded Input per
// message. Pointer coordinates are normalised to the captured display: 0,0
// is its top-left pixel, 1,1 its bottom-right.
const InputChannel = "input"

// InputKind says what an Input does.
type InputKind uint8

// Input kinds.
const (
	InputMove   InputKind = 1 // pointer to X, Y
	InputDown   InputKind = 2 // Button pressed (at X, Y)
	InputUp     InputKind = 3 // Button released (at X, Y)
	InputWheel  InputKind = 4 // DY notches (positive: down), DX notches (positive: right)
	InputKeyDn  InputKind = 5 // Key pressed
	InputKeyUp  InputKind = 6 // Key released
	InputText   InputKind = 7 // Text typed as is (layouts keys cannot express)
	InputRelAll InputKind = 8 // release every key and button still held
)

// Input is one input event.
type Input struct {
	Kind   InputKind `cbor:"1,keyasint"`
	X      float64   `cbor:"2,keyasint,omitempty"`
	Y      float64   `cbor:"3,keyasint,omitempty"`
	Button string    `cbor:"4,keyasint,omitempty"` // left, right, middle
	DX     int       `cbor:"5,keyasint,omitempty"`
	DY     int       `cbor:"6,keyasint,omitempty"`
	Key    string    `cbor:"7,keyasint,omitempty"` // X keysym name, e.g. "Return", "a", "Control_L", "F5"
	Text   string    `cbor:"8,keyasint,omitempty"`
}

// DecodeInput decodes one data-channel message.
func DecodeInput(b []byte) (Input, error) {
	var in Input
	if err := Unmarshal(b, &in); err != nil {
		return in, err
	}
	if in.Kind < InputMove || in.Kind > InputRelAll {
		return in, ErrMalformed
	}
	return in, nil
}

// ClipboardChannel is the WebRTC data channel (reliable, ordered) that
// carries clipboard text both ways, one CBOR-encoded Clipboard per message.
const ClipboardChannel = "clipboard"

// MaxClipboard bounds the clipboard text sent in one message.
const MaxClipboard = 1 << 20

// Clipboard is clipboard text.
type Clipboard struct {
	Text string `cbor:"1,keyasint"`
}

// DecodeClipboard decodes one clipboard message.
func DecodeClipboard(b []byte) (Clipboard, error) {
	var c Clipboard
	if len(b) > MaxClipboard+16 {
		return c, ErrMalformed
	}
	err := Unmarshal(b, &c)
	return c, err
}

// CursorChannel is the WebRTC data channel (reliable, ordered) on which the
// agent sends the pointer's position and shape, so that the technician sees
// the pointer even when no frame changes. One CBOR-encoded Cursor per message.
const CursorChannel = "cursor"

// Cursor is the end user's pointer. X and Y are normalised to the captured
// display like Input; Visible is false when the pointer is on another
// display. Shape is sent (straight RGBA, W x H) only when it changed.
type Cursor struct {
	X       float64 `cbor:"1,keyasint"`
	Y       float64 `cbor:"2,keyasint"`
	Visible bool    `cbor:"3,keyasint,omitempty"`
	Serial  uint32  `cbor:"4,keyasint,omitempty"`
	W       int     `cbor:"5,keyasint,omitempty"`
	H       int     `cbor:"6,keyasint,omitempty"`
	HotX    int     `cbor:"7,keyasint,omitempty"`
	HotY    int     `cbor:"8,keyasint,omitempty"`
	RGBA    []byte  `cbor:"9,keyasint,omitempty"`
}

// DecodeCursor decodes one cursor message and checks the shape's size.
func DecodeCursor(b []byte) (Cursor, error) {
	var c Cursor
	if err := Unmarshal(b, &c); err != nil {
		return c, err
	}
	if c.RGBA != nil && (c.W <= 0 || c.H <= 0 || c.W > 256 || c.H > 256 || len(c.RGBA) != c.W*c.H*4) {
		return c, ErrMalformed
	}
	return c, nil
}
