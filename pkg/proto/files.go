package proto

import "time"

// File transfer between a technician's console and the end user's app
// (version 4, message types 81-84).
//
// Protocol flow:
//
//	console                      relay                          app
//	FileStart{session, dir, name, size} ->
//	                             checks the files permission, the
//	                             end user's grant and the channel's
//	                             limit; stores and audits the transfer
//	                             FileOffer{id, peer, dir, name, size, limit} ->
//	                             <- OK (the app will take that ID now)
//	<- FileStarted{id, limit}
//	"files" data channel (WebRTC, reliable, ordered):
//	FileMsg{open, id, offset}  ------------------------------------->
//	                             (fetch: the end user is asked first)
//	<---------------------------------------- FileMsg{ready, id, offset, size}
//	FileMsg{data ...} from the sender, from offset, FileMsg{end, sha256}
//	<-- FileMsg{done} or FileMsg{cancel, reason} either way
//	the receiving side (and any side that cancels) -> FileReport{id, state, sha256}
//
// After a dropped connection the console opens the same ID again on the
// new data channel; the receiver answers with the offset it has, so the
// sender goes on from there. The SHA-256 always covers the whole file.
// The app takes only IDs the relay offered it and checks the limit itself.
const (
	TypeFileStart   Type = 81 // FileStart, technician -> relay, request; reply FileStarted
	TypeFileStarted Type = 82 // FileStarted, reply to FileStart
	TypeFileOffer   Type = 83 // FileOffer, relay -> agent, request; reply OK
	TypeFileReport  Type = 84 // FileReport, agent or technician -> relay, request; reply OK
	TypeFileList    Type = 85 // FileListRequest, technician -> relay, request; reply FileList
	TypeFileListed  Type = 86 // FileList, reply to FileListRequest
	TypeFileUpload  Type = 87 // FileUpload, agent -> relay, request; reply FileStarted (then FileOffer to the technician)
)

// Error codes of file transfers.
const (
	ErrFileTooLarge    ErrorCode = 27 // the file is over the channel's size limit
	ErrTransferUnknown ErrorCode = 28 // no such transfer in this session, or it already ended
)

// PermFiles lets a technician send files to the end user's computer and
// fetch files from it (a fetch also needs the end user's click).
const PermFiles Permission = "files"

// FilesChannel is the WebRTC data channel (reliable, ordered) that carries
// FileMsg messages both ways; the app opens it for every technician it
// admits, and takes only transfers the relay offered.
const FilesChannel = "files"

// DefaultFileLimit is a channel's file size limit unless set otherwise.
const DefaultFileLimit int64 = 2 << 30

// MaxFileChunk is the most file bytes one FileMsg carries.
const MaxFileChunk = 32 << 10

// MaxFilePath is the longest path or name a transfer may name, in bytes.
const MaxFilePath = 4096

// FileDirection says which way a file goes.
type FileDirection string

// Directions.
const (
	FileSend  FileDirection = "send"  // from the technician to the end user
	FileFetch FileDirection = "fetch" // from the end user's computer to the technician
	// FileUp is a file the end user sends to a technician from the
	// app (its Send file button): the relay offers it to the technician's
	// console, which opens it like a fetch; no question is asked.
	FileUp FileDirection = "upload"
)

// Valid reports whether d is one of the three.
func (d FileDirection) Valid() bool { return d == FileSend || d == FileFetch || d == FileUp }

// FileState is where a transfer stands.
type FileState string

// States. Running ("started") is the only one that is not final.
const (
	FileRunning   FileState = "started"
	FileDone      FileState = "done"
	FileFailed    FileState = "failed"
	FileCancelled FileState = "cancelled"
	FileRefused   FileState = "refused" // the end user did not allow a fetch
)

// Final reports whether s ends a transfer.
func (s FileState) Final() bool {
	return s == FileDone || s == FileFailed || s == FileCancelled || s == FileRefused
}

// FileStart asks the relay to authorise a transfer in a session the
// technician is attached to. For FileSend, Name is the file's base name
// and Size its length; for FileFetch, Name is the path on the end user's
// computer (Size 0: the app tells).
type FileStart struct {
	SessionID string        `cbor:"1,keyasint"`
	Direction FileDirection `cbor:"2,keyasint"`
	Name      string        `cbor:"3,keyasint"`
	Size      int64         `cbor:"4,keyasint,omitempty"`
}

// FileStarted answers FileStart: the transfer's ID and the channel's limit.
type FileStarted struct {
	ID    string `cbor:"1,keyasint"`
	Limit int64  `cbor:"2,keyasint"`
}

// FileOffer tells the app a transfer the relay authorised: only these IDs
// are accepted on the files channel, only from Peer. For an upload it
// goes to the technician's console instead (Direction FileUp, Peer: the
// technician), which
// then opens the transfer.
type FileOffer struct {
	SessionID string        `cbor:"1,keyasint"`
	ID        string        `cbor:"2,keyasint"`
	Peer      Peer          `cbor:"3,keyasint"`
	Direction FileDirection `cbor:"4,keyasint"`
	Name      string        `cbor:"5,keyasint"`
	Size      int64         `cbor:"6,keyasint,omitempty"`
	Limit     int64         `cbor:"7,keyasint"`
}

// FileReport tells the relay how a transfer ended (State final), with the
// size and SHA-256 (hex) of what arrived; Reason is a sentence when it
// did not work. The first final report counts.
type FileReport struct {
	SessionID string    `cbor:"1,keyasint"`
	ID        string    `cbor:"2,keyasint"`
	State     FileState `cbor:"3,keyasint"`
	Size      int64     `cbor:"4,keyasint,omitempty"`
	SHA256    string    `cbor:"5,keyasint,omitempty"`
	Reason    string    `cbor:"6,keyasint,omitempty"`
}

// FileTransfer is one file transfer as the session's record shows it.
type FileTransfer struct {
	ID         string        `cbor:"1,keyasint" json:"id"`
	SessionID  string        `cbor:"2,keyasint" json:"session_id"`
	Technician string        `cbor:"3,keyasint" json:"technician"`
	Direction  FileDirection `cbor:"4,keyasint" json:"direction"`
	Name       string        `cbor:"5,keyasint" json:"name"`
	Size       int64         `cbor:"6,keyasint,omitempty" json:"size"`
	SHA256     string        `cbor:"7,keyasint,omitempty" json:"sha256,omitempty"`
	State      FileState     `cbor:"8,keyasint" json:"state"`
	Reason     string        `cbor:"9,keyasint,omitempty" json:"reason,omitempty"`
	StartedAt  time.Time     `cbor:"10,keyasint" json:"started_at"`
	EndedAt    time.Time     `cbor:"11,keyasint,omitempty" json:"ended_at,omitzero"`
}

// FileMsgKind is the kind of a FileMsg.
type FileMsgKind uint8

// FileMsg kinds.
const (
	FileOpen   FileMsgKind = 1 // console -> app: start or resume ID; for a fetch Offset is what the console has
	FileReady  FileMsgKind = 2 // receiver or app -> console: go on from Offset (a fetch: Name and Size of the file)
	FileData   FileMsgKind = 3 // sender -> receiver: Data at Offset
	FileEnd    FileMsgKind = 4 // sender -> receiver: all sent; SHA256 of the whole file
	FileOK     FileMsgKind = 5 // receiver -> sender: stored, hash checked (Name: where)
	FileCancel FileMsgKind = 6 // either way: stop; Reason says why
)

// FileMsg is one message on FilesChannel.
type FileMsg struct {
	Kind   FileMsgKind `cbor:"1,keyasint"`
	ID     string      `cbor:"2,keyasint"`
	Offset int64       `cbor:"3,keyasint,omitempty"`
	Data   []byte      `cbor:"4,keyasint,omitempty"`
	Name   string      `cbor:"5,keyasint,omitempty"`
	Size   int64       `cbor:"6,keyasint,omitempty"`
	SHA256 string      `cbor:"7,keyasint,omitempty"`
	Reason string      `cbor:"8,keyasint,omitempty"`
}

// DecodeFileMsg decodes one files-channel message and checks its bounds.
func DecodeFileMsg(b []byte) (FileMsg, error) {
	var m FileMsg
	if len(b) > MaxFileChunk+2*MaxFilePath+256 {
		return m, ErrMalformed
	}
	if err := Unmarshal(b, &m); err != nil {
		return m, err
	}
	if m.Kind < FileOpen || m.Kind > FileCancel || m.ID == "" || len(m.ID) > 64 ||
		m.Offset < 0 || m.Size < 0 || len(m.Data) > MaxFileChunk || len(m.Name) > MaxFilePath {
		return m, ErrMalformed
	}
	return m, nil
}

// FileListRequest asks for the transfers of a session the technician may
// see (as SessionDetailsRequest).
type FileListRequest struct {
	SessionID string `cbor:"1,keyasint"`
}

// MaxFileList is the most transfers a FileList carries (the newest).
const MaxFileList = 500

// FileList answers FileListRequest, oldest first; Omitted counts older
// ones left out.
type FileList struct {
	Transfers []FileTransfer `cbor:"1,keyasint,omitempty" json:"transfers"`
	Omitted   int            `cbor:"2,keyasint,omitempty" json:"omitted,omitempty"`
}

// FileUpload asks the relay to authorise a file the end user sends to
// technician Peer (attached, with the files permission and the end
// user's permission to control). The reply's ID is then offered to the
// technician's console (FileOffer, Direction FileUp).
type FileUpload struct {
	SessionID string `cbor:"1,keyasint"`
	Peer      int64  `cbor:"2,keyasint"`
	Name      string `cbor:"3,keyasint"`
	Size      int64  `cbor:"4,keyasint"`
}
