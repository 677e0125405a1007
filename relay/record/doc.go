// Package record is the relay's session recorder: it joins a session as a
// view-only WebRTC peer of the end user's app (never a technician), asks for
// a keyframe, and writes the VP8 frames it receives as they are (no
// re-encoding) into a WebM file, with the session's chat and events in a
// JSON sidecar beside it. Deciding who may record is relay/queue's job;
// this package only records.
package record
