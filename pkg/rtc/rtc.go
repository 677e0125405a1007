// Package rtc is the WebRTC setup the agent and the console share: the
// media engine (VP8 with NACK, PLI, FIR and REMB feedback), ICE settings,
// and the kinds of signalling message they exchange through the relay.
package rtc

import (
	"fmt"
	"strings"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/webrtc/v4"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Signal kinds exchanged through the relay.
const (
	KindOffer    = "offer"    // agent -> technician: SDP offer with its candidates
	KindAnswer   = "answer"   // technician -> agent: SDP answer with its candidates
	KindKeyframe = "keyframe" // technician -> agent: send a keyframe
	KindDisplay  = "display"  // technician -> agent: capture display N (payload: decimal index)
	KindControl  = "control"  // technician -> agent: payload "view" (view only: the agent refuses input) or "control"
)

// NewAPI returns the WebRTC stack both sides use: VP8 only, no loopback
// candidates (they would tell the other side where to send STUN on its own
// machine; a technician at the same machine connects through the LAN
// address or the relay's TURN), no mDNS candidates.
func NewAPI() (*webrtc.API, error) { return newAPI(nil) }

// NewSenderAPI is NewAPI for the side that sends the screen: it adds
// transport-wide congestion control (Google congestion control on TWCC
// feedback) and reports each new peer connection's bandwidth estimator,
// with the counts of what its viewer reports received, to onEstimator,
// which runs inside NewPeerConnection. maxKbps is the ceiling and the
// starting point: the estimate only comes down when the network shows
// congestion. No pacing here: the sender keeps its frames within the
// estimate itself.
func NewSenderAPI(maxKbps int, onEstimator func(*Estimator)) (*webrtc.API, error) {
	f, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		e, err := gcc.NewSendSideBWE(
			gcc.SendSideBWEInitialBitrate(maxKbps*1000),
			gcc.SendSideBWEMaxBitrate(maxKbps*1000),
			gcc.SendSideBWEMinBitrate(MinKbps*1000),
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()),
		)
		if err != nil {
			return nil, err
		}
		return newEstimator(e), nil
	})
	if err != nil {
		return nil, fmt.Errorf("rtc: congestion control: %w", err)
	}
	f.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { onEstimator(e.(*Estimator)) })
	return newAPI(func(m *webrtc.MediaEngine, ir *interceptor.Registry) error {
		ir.Add(f)
		return webrtc.ConfigureTWCCHeaderExtensionSender(m, ir)
	})
}

// MinKbps is the least the estimate goes down to (kbit/s).
const MinKbps = 150

// nackTries is how often a receiver asks for one lost packet.
const nackTries = 2

func newAPI(extra func(*webrtc.MediaEngine, *interceptor.Registry) error) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}, {Type: "goog-remb"}}},
		PayloadType: 96,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("rtc: register VP8: %w", err)
	}
	ir := &interceptor.Registry{}
	// A lost packet is asked for again at most nackTries times: pion's
	// default asks every 100 ms until it comes, and on a congested link
	// the retransmissions of retransmissions fill the queue many times
	// over (seen at 1 Mbit/s: ten times the link's rate, nothing decoded).
	if err := webrtc.RegisterDefaultInterceptorsWithOptions(m, ir,
		webrtc.WithNackGeneratorOptions(nack.GeneratorMaxNacksPerPacket(nackTries))); err != nil {
		return nil, fmt.Errorf("rtc: interceptors: %w", err)
	}
	if extra != nil {
		if err := extra(m, ir); err != nil {
			return nil, fmt.Errorf("rtc: interceptors: %w", err)
		}
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(false)
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

// OnlyTransport keeps the TURN URLs of one transport ("udp" or "tcp"), to
// force TURN over TCP as on networks that block UDP.
func OnlyTransport(in []proto.ICEServer, transport string) []proto.ICEServer {
	var out []proto.ICEServer
	for _, s := range in {
		var urls []string
		for _, u := range s.URLs {
			if strings.HasSuffix(u, "?transport="+transport) {
				urls = append(urls, u)
			}
		}
		if len(urls) > 0 {
			s.URLs = urls
			out = append(out, s)
		}
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
	p, _ := PathRTT(pc)
	return p
}

// PathRTT is Path with the pair's current round-trip time.
func PathRTT(pc *webrtc.PeerConnection) (string, time.Duration) {
	stats := pc.GetStats()
	for _, st := range stats {
		pair, ok := st.(webrtc.ICECandidatePairStats)
		if !ok || !pair.Nominated || pair.State != webrtc.StatsICECandidatePairStateSucceeded {
			continue
		}
		local, _ := stats[pair.LocalCandidateID].(webrtc.ICECandidateStats)
		remote, _ := stats[pair.RemoteCandidateID].(webrtc.ICECandidateStats)
		rtt := time.Duration(pair.CurrentRoundTripTime * float64(time.Second))
		if local.CandidateType == webrtc.ICECandidateTypeRelay || remote.CandidateType == webrtc.ICECandidateTypeRelay {
			return "relayed", rtt
		}
		return "direct", rtt
	}
	return "", 0
}
