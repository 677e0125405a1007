package adminapi

import "time"

// MaxScreenshot is the largest screenshot upload in bytes (a PNG).
const MaxScreenshot = 16 << 20

// MaxScreenshotPixels bounds a screenshot's width times height, so that
// a small PNG cannot unpack into gigabytes (8K UHD fits).
const MaxScreenshotPixels = 7680 * 4320

// Screenshot is a screenshot kept with a session.
type Screenshot struct {
	ID        string    `json:"id" doc:"The screenshot's ID; GET /screenshots/{id} downloads its PNG."`
	SessionID string    `json:"session_id"`
	TakenBy   string    `json:"taken_by" doc:"The technician who took it (or api:NAME)."`
	TakenAt   time.Time `json:"taken_at"`
	Width     int       `json:"width"`
	Height    int       `json:"height"`
	Size      int64     `json:"size" doc:"Bytes of the PNG."`
	Marked    bool      `json:"marked" doc:"Whether the technician marked it up before saving."`
}

// Records is what a session documents about itself beyond its history
// and chat, and who may open it.
type Records struct {
	SessionID   string       `json:"session_id"`
	Visibility  string       `json:"visibility" enum:"public,internal" doc:"public: the end user may open them through the link the app showed at the end; internal: only technicians who may see the session."`
	MayChange   bool         `json:"may_change" doc:"Whether the caller may change the visibility."`
	Screenshots []Screenshot `json:"screenshots" doc:"Oldest first."`
}

// VisibilityChange sets who may open a session's records.
type VisibilityChange struct {
	Visibility string `json:"visibility" enum:"public,internal"`
}

// MaxKeepDays bounds a channel's retention of recordings (100 years).
const MaxKeepDays = 36500

// ChannelRecording is a channel's recording policy and how long its
// recordings are kept (GET and PUT /channels/{name}/recording).
type ChannelRecording struct {
	Policy   string `json:"policy" enum:"off,allowed,required" doc:"off: never recorded; allowed: when a technician asks and the end user agrees; required: every session, and the consent question says so."`
	KeepDays int    `json:"keep_days" minimum:"0" maximum:"36500" doc:"The relay deletes a recording this many days after it ended; 0 keeps it until deleted by hand."`
}
