// Package recordtest reads recordings the way a standard player does
// (Debian's ffprobe), for the tests of relay/record and relay/e2e.
package recordtest

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
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

// FFprobe runs ffprobe on path (installers/deps.sh installs ffmpeg).
func FFprobe(path string) (Probe, error) {
	var p Probe
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", path).Output()
	if err != nil {
		return p, fmt.Errorf("ffprobe %s: %w", path, err)
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return p, fmt.Errorf("ffprobe %s: %w", path, err)
	}
	return p, nil
}
