package proto

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// DrawChannel is the WebRTC data channel (reliable, ordered) on which a
// technician who controls the end user's computer draws on its screen, and
// the SOS app answers with what its overlay shows. The relay never sees the
// strokes. The app opens it only for a technician the end user granted
// PermControl, and draws only while that technician holds control (not
// blocked by the session, not in view-only mode); everything else is
// refused with a DrawState.
//
// Each message is one CBOR Envelope (Type and Body, no length prefix: the
// data channel frames messages), at most MaxDrawMessage bytes:
//
//	technician                               SOS app
//	  DrawShape{Kind, Colour, Width, Points} ->   drawn on the overlay
//	                                         <-   DrawState{Shapes}
//	                                              or DrawState{Code, Message}: refused
//	  DrawClear{}                            ->   overlay cleared
//	                                         <-   DrawState{Shapes: 0}
//	                                         <-   DrawState{Shapes: 0, Message} when the
//	                                              end user cleared, control changed hands
//	                                              or the technician who drew left
//
// Points are normalised to the captured display, like Input: 0,0 is its
// top-left pixel, 1,1 its bottom-right.
const DrawChannel = "draw"

// Drawing message types (only on DrawChannel, never to the relay).
const (
	TypeDrawShape Type = 96 // DrawShape, technician -> app
	TypeDrawClear Type = 97 // DrawClear, technician -> app
	TypeDrawState Type = 98 // DrawState, app -> technician
)

// ErrDrawUnavailable says the end user's computer cannot show drawings
// (no overlay on this system); the technician's console says so.
const ErrDrawUnavailable ErrorCode = 33

// Drawing limits.
const (
	// MaxDrawPoints bounds a freehand stroke; a longer stroke is sent as
	// several shapes.
	MaxDrawPoints = 512
	// MaxDrawWidth bounds a line's width in pixels of the end user's screen.
	MaxDrawWidth = 32
	// DefaultDrawWidth is the width of a shape that gives none.
	DefaultDrawWidth = 4
	// MaxDrawMessage bounds one message on DrawChannel.
	MaxDrawMessage = 8 << 10
	// MaxDrawnShapes is how many shapes the overlay keeps; a new one past
	// it removes the oldest.
	MaxDrawnShapes = 256
)

// ShapeKind says what a DrawShape draws.
type ShapeKind uint8

// Shape kinds. Arrow, Ellipse and Rect take two points: the arrow from the
// first to the second (the head at the second), the ellipse inside the
// rectangle the two points span, the rectangle with those corners.
// Freehand joins 2 to MaxDrawPoints points.
const (
	ShapeArrow    ShapeKind = 1
	ShapeEllipse  ShapeKind = 2
	ShapeRect     ShapeKind = 3
	ShapeFreehand ShapeKind = 4
)

var shapeNames = map[ShapeKind]string{ShapeArrow: "arrow", ShapeEllipse: "ellipse", ShapeRect: "rect", ShapeFreehand: "freehand"}

func (k ShapeKind) String() string {
	if n, ok := shapeNames[k]; ok {
		return n
	}
	return "shape " + strconv.Itoa(int(k))
}

// ParseShapeKind reads a shape's name: arrow, ellipse (or circle), rect
// (or rectangle), freehand (or line).
func ParseShapeKind(s string) (ShapeKind, error) {
	switch strings.ToLower(s) {
	case "arrow":
		return ShapeArrow, nil
	case "ellipse", "circle":
		return ShapeEllipse, nil
	case "rect", "rectangle":
		return ShapeRect, nil
	case "freehand", "line":
		return ShapeFreehand, nil
	}
	return 0, fmt.Errorf("%q is not a shape: use arrow, ellipse, rect or freehand", s)
}

// DrawColours are the colours a technician picks by name.
var DrawColours = map[string]uint32{
	"red": 0xe02020, "orange": 0xff8c00, "yellow": 0xffd700, "green": 0x20c040,
	"blue": 0x2060ff, "magenta": 0xe020e0, "cyan": 0x20d0e0, "white": 0xffffff, "black": 0x000000,
}

// ParseColour reads a colour: a name from DrawColours or #rrggbb.
func ParseColour(s string) (uint32, error) {
	if c, ok := DrawColours[strings.ToLower(s)]; ok {
		return c, nil
	}
	if len(s) == 7 && s[0] == '#' {
		if v, err := strconv.ParseUint(s[1:], 16, 32); err == nil {
			return uint32(v), nil
		}
	}
	return 0, fmt.Errorf("%q is not a colour: use red, orange, yellow, green, blue, magenta, cyan, white, black or #rrggbb", s)
}

// DrawShape is one shape a technician draws on the end user's screen.
type DrawShape struct {
	Kind   ShapeKind `cbor:"1,keyasint"`
	Colour uint32    `cbor:"2,keyasint"`           // 0xRRGGBB
	Width  uint8     `cbor:"3,keyasint,omitempty"` // pixels; 0: DefaultDrawWidth
	// Points are x0, y0, x1, y1, …, each normalised to the captured display.
	Points []float32 `cbor:"4,keyasint"`
}

// N is the number of points.
func (s DrawShape) N() int { return len(s.Points) / 2 }

// Point returns point i, normalised.
func (s DrawShape) Point(i int) (x, y float64) {
	return float64(s.Points[2*i]), float64(s.Points[2*i+1])
}

// LineWidth is Width, or DefaultDrawWidth when it is 0.
func (s DrawShape) LineWidth() int {
	if s.Width == 0 {
		return DefaultDrawWidth
	}
	return int(s.Width)
}

// Check reports what is wrong with s, in a sentence, or nil.
func (s DrawShape) Check() error {
	if _, ok := shapeNames[s.Kind]; !ok {
		return fmt.Errorf("%w: unknown shape %d", ErrMalformed, s.Kind)
	}
	if s.Colour > 0xffffff {
		return fmt.Errorf("%w: colour %#x is not 0xRRGGBB", ErrMalformed, s.Colour)
	}
	if s.Width > MaxDrawWidth {
		return fmt.Errorf("%w: line width %d is over %d pixels", ErrMalformed, s.Width, MaxDrawWidth)
	}
	if len(s.Points)%2 != 0 {
		return fmt.Errorf("%w: an odd number of coordinates", ErrMalformed)
	}
	n := s.N()
	if s.Kind == ShapeFreehand {
		if n < 2 || n > MaxDrawPoints {
			return fmt.Errorf("%w: a freehand line has 2 to %d points, not %d", ErrMalformed, MaxDrawPoints, n)
		}
	} else if n != 2 {
		return fmt.Errorf("%w: %s takes 2 points, not %d", ErrMalformed, s.Kind, n)
	}
	for _, v := range s.Points {
		if math.IsNaN(float64(v)) || v < 0 || v > 1 {
			return fmt.Errorf("%w: a point lies outside the screen (%v)", ErrMalformed, v)
		}
	}
	return nil
}

// DrawClear removes every shape from the end user's screen.
type DrawClear struct{}

// DrawState is what the end user's screen shows after a DrawShape or
// DrawClear, or after the app cleared it by itself.
type DrawState struct {
	Shapes int `cbor:"1,keyasint"` // shapes on the end user's screen now
	// Code is set when the technician's last message was refused:
	// ErrDrawUnavailable, ErrForbidden (no control) or ErrBadRequest.
	Code ErrorCode `cbor:"2,keyasint,omitempty"`
	// Message is a sentence for the technician: why it was refused, or
	// who cleared the drawing.
	Message string `cbor:"3,keyasint,omitempty"`
}

// EncodeDraw encodes a *DrawShape, *DrawClear or *DrawState (or one of
// those values) for DrawChannel.
func EncodeDraw(m any) ([]byte, error) {
	var t Type
	switch m.(type) {
	case DrawShape, *DrawShape:
		t = TypeDrawShape
	case DrawClear, *DrawClear:
		t = TypeDrawClear
	case DrawState, *DrawState:
		t = TypeDrawState
	default:
		return nil, fmt.Errorf("proto: %T is not a drawing message", m)
	}
	body, err := Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode type %d: %w", t, err)
	}
	b, err := Marshal(Envelope{Type: t, Body: body})
	if err != nil {
		return nil, fmt.Errorf("encode type %d: %w", t, err)
	}
	if len(b) > MaxDrawMessage {
		return nil, fmt.Errorf("encode type %d: %d bytes: %w", t, len(b), ErrFrameTooLarge)
	}
	return b, nil
}

// DecodeDraw decodes one DrawChannel message into a *DrawShape (checked),
// *DrawClear or *DrawState.
func DecodeDraw(b []byte) (any, error) {
	if len(b) > MaxDrawMessage {
		return nil, fmt.Errorf("%w: drawing message of %d bytes", ErrFrameTooLarge, len(b))
	}
	env, err := DecodeEnvelope(b)
	if err != nil {
		return nil, err
	}
	switch env.Type {
	case TypeDrawShape:
		var s DrawShape
		if err := env.Decode(&s); err != nil {
			return nil, err
		}
		if err := s.Check(); err != nil {
			return nil, err
		}
		return &s, nil
	case TypeDrawClear:
		return &DrawClear{}, nil
	case TypeDrawState:
		var s DrawState
		if err := env.Decode(&s); err != nil {
			return nil, err
		}
		if s.Shapes < 0 {
			return nil, fmt.Errorf("%w: %d shapes", ErrMalformed, s.Shapes)
		}
		return &s, nil
	}
	return nil, fmt.Errorf("%w: type %d on the drawing channel", ErrMalformed, env.Type)
}
