// Package playback plays a session recording (the WebM file the relay
// writes, VP8 as the end user's app sent it) in the console: it indexes
// the file's frames, decodes them with pkg/codec, and plays, pauses,
// seeks and changes speed on an injected clock. It has no Fyne import;
// console/ui shows the pictures it hands on.
package playback
