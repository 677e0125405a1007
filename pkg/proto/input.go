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
