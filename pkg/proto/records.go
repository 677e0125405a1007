package proto

// The records of a session an end user may open afterwards: the link to
// them, asked for at the rating step (version 4; types 93-94 came within
// it: a relay that predates them closes the connection as a protocol
// violation, and the app then shows no link).
const (
	TypeRecordsLinkRequest Type = 93 // RecordsLinkRequest, agent -> relay after the session ended, request
	TypeRecordsLink        Type = 94 // RecordsLink, reply to RecordsLinkRequest
)

// RecordsPath is where the relay's HTTPS side serves a records page:
// RecordsPath + token.
const RecordsPath = "/r/"

// MaxRecordsLinks is how many records links the relay hands out for one
// session (the app asks once per rating step; this bounds a loop).
const MaxRecordsLinks = 8

// RecordsLinkRequest asks, after a session ended, for a link to its
// records page. Like Rate it may come on a new connection: the session's
// ResumeKey proves that this app ran the session.
type RecordsLinkRequest struct {
	SessionID string `cbor:"1,keyasint"`
	ResumeKey string `cbor:"2,keyasint"`
}

// RecordsLink answers RecordsLinkRequest. URL is
// https://RELAY/r/<token> (a fresh token of 128 bits or more, which the
// relay keeps only as a hash): a page that lists the session's screenshots
// (and recordings) with download links while the session is public, and
// says that they are internal once a technician made it so. Internal
// reports the session's visibility when the link was made; the page
// always shows the current one.
type RecordsLink struct {
	URL      string `cbor:"1,keyasint"`
	Internal bool   `cbor:"2,keyasint,omitempty"`
}

// Visibility says who may open a session's records (screenshots,
// recordings).
type Visibility string

// Visibilities. A session is public unless a technician made it internal.
const (
	// VisibilityPublic: the end user may open them through the link the
	// app shows at the end, and technicians who may see the session.
	VisibilityPublic Visibility = "public"
	// VisibilityInternal: only technicians who may see the session.
	VisibilityInternal Visibility = "internal"
)

// Valid reports whether v is one of the visibilities.
func (v Visibility) Valid() bool { return v == VisibilityPublic || v == VisibilityInternal }
