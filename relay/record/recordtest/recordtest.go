// Package recordtest reads recordings the way a standard player does
// (Debian's ffprobe), for the tests of relay/record and relay/e2e.
package recordtest

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"testing"
)

// Probe is what ffprobe says about a media file.
type Probe struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
	Format struct {
		FormatName string `json:"format_name"`
		Duration   string `json:"duration"`
	} `json:"format"`
}

// Seconds is the file's duration.
func (p Probe) Seconds() float64 {
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return d
}

// FFprobe runs ffprobe on path (installers/deps.sh installs ffmpeg) and
// fails t when ffprobe cannot read it.
func FFprobe(t testing.TB, path string) Probe {
	t.Helper()
	var p Probe
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	return p
}
