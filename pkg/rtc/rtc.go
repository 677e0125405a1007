// Package rtc is the WebRTC setup the agent and the console share: the
// media engine (VP8 with NACK, PLI, FIR and REMB feedback), ICE settings,
// and the kinds of signalling message they exchange through the relay.
package rtc

import (
	"fmt"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Signal kinds exchanged through the relay.
const (
	KindOffer    = "offer"    // agent -> technician: SDP offer with its candidates
	KindAnswer   = "answer"   // technician -> agent: SDP answer with its candidates
	KindKeyframe = "keyframe" // technician -> agent: send a keyframe
)

// NewAPI returns the WebRTC stack both sides use: VP8 only, loopback
// candidates allowed (a technician may sit at the same machine, and tests
// do), no mDNS candidates.
func NewAPI() (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}, {Type: "goog-remb"}}},
		PayloadType: 96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("rtc: register VP8: %w", err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, fmt.Errorf("rtc: interceptors: %w", err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)), nil
}

// ICEServers converts the relay's ICE servers for pion.
func ICEServers(in []proto.ICEServer) []webrtc.ICEServer {
	out := make([]webrtc.ICEServer, 0, len(in))
	for _, s := range in {
		out = append(out, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return out
}

// Configuration is the peer connection setup for the given ICE servers;
// relayOnly restricts ICE to the relay's TURN (for networks, and tests,
// where nothing else may be used).
func Configuration(ice []proto.ICEServer, relayOnly bool) webrtc.Configuration {
	c := webrtc.Configuration{ICEServers: ICEServers(ice)}
	if relayOnly {
		c.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	return c
}

// Path describes the selected ICE candidate pair: "relayed" when either
// side goes through TURN, "direct" otherwise, "" before ICE connected.
func Path(pc *webrtc.PeerConnection) string {
	stats := pc.GetStats()
	for _, st := range stats {
		pair, ok := st.(webrtc.ICECandidatePairStats)
		if !ok || !pair.Nominated || pair.State != webrtc.StatsICECandidatePairStateSucceeded {
			continue
		}
		local, _ := stats[pair.LocalCandidateID].(webrtc.ICECandidateStats)
		remote, _ := stats[pair.RemoteCandidateID].(webrtc.ICECandidateStats)
		if local.CandidateType == webrtc.ICECandidateTypeRelay || remote.CandidateType == webrtc.ICECandidateTypeRelay {
			return "relayed"
		}
		return "direct"
	}
	return ""
}
