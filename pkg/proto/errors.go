package proto

import (
	"errors"
	"fmt"
	"time"
)

// ErrorCode classifies a failed request. The same numbers are used as QUIC
// application error codes when a connection is closed for that reason.
type ErrorCode uint32

// Error codes. Values are part of the wire format.
const (
	ErrNone            ErrorCode = 0  // normal close
	ErrProtocol        ErrorCode = 1  // malformed frame or message, or unexpected message
	ErrVersion         ErrorCode = 2  // unsupported protocol version
	ErrInternal        ErrorCode = 3  // the relay failed; try again
	ErrUnauthenticated ErrorCode = 4  // login needed, or the token expired
	ErrBadCredentials  ErrorCode = 5  // wrong user name or password
	ErrForbidden       ErrorCode = 6  // the user's role does not allow this
	ErrThrottled       ErrorCode = 7  // too many failures; see RetryAfter
	ErrWrongCode       ErrorCode = 8  // no live session has this code
	ErrCodeExpired     ErrorCode = 9  // the code existed but expired
	ErrLinkUnknown     ErrorCode = 10 // no such support link
	ErrLinkExpired     ErrorCode = 11 // the link expired or its session ended
	ErrLinkUsed        ErrorCode = 12 // another device already joined with this link
	ErrSessionUnknown  ErrorCode = 13 // no such session, or not visible to the user
	ErrSessionState    ErrorCode = 14 // the session is not in a state that allows this
	ErrConsentDenied   ErrorCode = 15 // the end user refused
	ErrConsentTimeout  ErrorCode = 16 // the end user did not answer in time
	ErrAgentOffline    ErrorCode = 17 // the end user's app is not connected
	ErrBadRequest      ErrorCode = 18 // a field is missing or out of range
	ErrResumeUnknown   ErrorCode = 19 // the session to resume is gone
	ErrShuttingDown    ErrorCode = 20 // the relay is restarting; reconnect
	ErrReplaced        ErrorCode = 21 // a newer connection took over this session
	ErrRevoked         ErrorCode = 22 // the account was disabled, its role changed or its sign-in was revoked
	ErrSlowFrame       ErrorCode = 23 // a frame started but did not arrive whole within FrameTimeout
	ErrSignInTimeout   ErrorCode = 25 // neither signed in nor registered within the Hello timeout
	ErrTaken           ErrorCode = 26 // another technician picked the request up first
)

// Failure is an Error received from (or about to be sent to) a peer, usable
// as a Go error. Its Error() is the sentence meant for a person.
type Failure struct {
	Code       ErrorCode
	Message    string
	RetryAfter time.Duration
}

func (f *Failure) Error() string { return f.Message }

// Errorf builds a Failure with a formatted sentence.
func Errorf(code ErrorCode, format string, args ...any) *Failure {
	return &Failure{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the ErrorCode carried by err, or ErrInternal when err is not a Failure.
func CodeOf(err error) ErrorCode {
	var f *Failure
	if errors.As(err, &f) {
		return f.Code
	}
	return ErrInternal
}

// Framing and decoding errors.
var (
	ErrFrameTooLarge = errors.New("proto: frame larger than MaxFrame")
	ErrMalformed     = errors.New("proto: malformed message")
)
