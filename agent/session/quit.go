package session

import (
	"context"
	"time"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// quitBudget bounds the last connection made to end a session when the end
// user quits while the app is between connections.
const quitBudget = 5 * time.Second

// endAfterQuit ends the session on the relay when the end user quit while
// the app had no registered connection: between reconnect attempts, or
// while a (re)registration was still in flight. Without it the technician
// would be told the app lost its connection and wait out the relay's grace
// period. It resumes the session on a new connection and ends it there; when
// the relay cannot be reached within quitBudget, the grace period does it.
func (a *Agent) endAfterQuit() {
	a.mu.Lock()
	relay, fp, key, ended := a.cfg.Relay, a.cfg.Fingerprint, a.resumeKey, a.ended
	a.mu.Unlock()
	if key == "" || ended != nil {
		return // no session yet, or it already ended
	}
	ctx, cancel := context.WithTimeout(context.Background(), quitBudget)
	defer cancel()
	peer, done, err := a.connectOnce(ctx, relay, fp)
	if err != nil {
		a.log.Info("could not end the session after quitting; the relay closes it after its grace period", "err", err)
		return
	}
	defer done()
	var reg proto.AgentRegistered
	if err := peer.Call(ctx, proto.TypeAgentRegister, &proto.AgentRegister{ResumeKey: key, Device: a.cfg.Device}, proto.TypeAgentRegistered, &reg); err != nil {
		a.log.Info("could not end the session after quitting", "step", "resume", "err", err)
		return
	}
	a.end(peer, "ended by the end user")
}
