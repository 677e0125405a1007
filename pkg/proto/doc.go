// Package proto defines the RelayDesk control-plane protocol spoken over QUIC
// between the relay and every SOS app (agent) and console (technician): the
// framing, the message types, their bodies and the error codes.
//
// # Transport
//
// The QUIC connection uses TLS 1.3 with ALPN "relaydesk/<Version>". The
// client opens exactly one bidirectional stream, the control stream, and
// both sides exchange frames on it until one closes the connection. Media
// (screen video, input, clipboard, drawing: draw.go) never travels here: it goes over WebRTC,
// signalled through Signal messages.
//
// # Framing
//
// Every frame is a 4-byte big-endian length followed by that many bytes of
// CBOR (RFC 8949) encoding one Envelope. A frame is at most MaxFrame bytes,
// and at most MaxBody(Type) for its message type (16 KiB for what clients
// send before signing in); a frame that has started must arrive whole within
// FrameTimeout, or the connection closes with ErrSlowFrame.
// An Envelope carries the message Type, an ID when the sender expects an
// answer, ReplyTo when it is that answer, and the Body: the CBOR encoding of
// the struct named for the Type. Integer map keys keep the encoding compact;
// unknown keys are ignored so that fields can be added without a version bump;
// removing or re-typing a field bumps Version.
//
// # Protocol flow
//
//	client                                  relay
//	  Hello{Version, Role}            ->
//	                                   <-   Welcome{Version, Organisation}
//	  (a connection that has not signed in or registered when the relay's
//	  Hello timeout, 10 s by default, ends is closed with ErrSignInTimeout;
//	  a Rate-only connection sends Rate at once and leaves)
//
//	agent (attended code)
//	  AgentRegister{Device}           ->
//	                                   <-   AgentRegistered{SessionID, Code, ResumeKey}
//	agent (support link)
//	  AgentRegister{LinkToken, Device} ->
//	                                   <-   AgentRegistered{SessionID, Technician, ResumeKey}
//	agent (after a reconnect)
//	  AgentRegister{ResumeKey, Device} ->
//	                                   <-   AgentRegistered{SessionID, Resumed: true}
//
//	technician
//	  Login{User, Password} | Auth{Token} ->
//	                                   <-   LoginOK{Token, Expires, User, Role}
//	  QueueSubscribe                  ->
//	                                   <-   QueueSnapshot{Sessions}, then QueueUpdate{Session} on every change
//	                                   <-   (while More: QueueSnapshotPage{Sessions, More}, before those updates)
//	  LinkCreate{CustomerName, Expires} ->
//	                                   <-   LinkCreated{SessionID, URL, ExpiresAt}
//	  Connect{Code | SessionID}       ->    relay asks the agent:
//	                                        ConsentRequest{Technician, PeerID, Permissions} -> agent
//	                                        agent -> ConsentAnswer{Allow, Granted}
//	                                   <-   Connected{Session, Granted} or Error{CodeConsentDenied...}
//	                                        agent receives PeerJoined{Peer, Name, ICE}; it admits only a
//	                                        peer its end user allowed, with only the granted channels
//	                                        (the agent's first TURN credentials: AgentRegistered
//	                                        carries ICE only on a resume with technicians attached)
//
//	relay, while technicians are attached (before the credentials expire)
//	                                   <-   ICERenewed{SessionID, ICE} to the agent and each technician
//
//	either side, while attached
//	  Signal{SessionID, Peer, Kind, Payload} -> relayed, in order, to the other side
//	  Chat{SessionID, Text}           ->    stored by the relay, then
//	                                   <-   OK, and to the agent and every attached technician
//	                                        (the sender too) Chat{SessionID, From, FromPeer, Text, At}
//	  End{SessionID, Reason}          ->    both sides receive SessionEnded{By, Reason}
//	                                        (a guest's End only takes them off: PeerLeft)
//
//	relay, when a technician leaves or is taken off a session (a transfer's new owner joined)
//	                                   <-   PeerLeft{SessionID, Peer, Reason} to the agent and to
//	                                        that technician, whose console stops showing it
//
//	agent, after the session ended (on any connection, within the relay's rating window)
//	  Rate{SessionID, Stars, Comment, ResumeKey} ->
//	                                   <-   OK; subscribers who may see the session get
//	                                        QueueUpdate{Session with Rating, RatingComment}
//	  RecordsLinkRequest{SessionID, ResumeKey} ->
//	                                   <-   RecordsLink{URL, Internal}: https://RELAY/r/<token>, the
//	                                        session's screenshots (public) or a note that they are internal
//
//	technician
//	  SessionDetailsRequest{SessionID} ->
//	                                   <-   SessionDetails{Session, Chat, History, Notes, Withheld}
//	  Logout                          ->    the relay deletes the token
//
//	service desk (version 4; relay/desk decides, every refusal is an Error
//	with a sentence naming what is missing, ErrForbidden or ErrTaken)
//	  LinkCreate{Channel, Category, Priority, Ticket} -> a request in the channel's queue
//	agent (SOS Call)
//	  CallForm{ChannelToken}          ->    (after Hello, before AgentRegister; counts against
//	                                        the per-source registration limit)
//	                                   <-   CallFormInfo{Channel, Form, Categories, Priorities}
//	                                   <-   or Error{ErrLinkUnknown, ...} (unknown token, SOS Call off:
//	                                        the sentence AgentRegister gives)
//	  AgentRegister{ChannelToken, Intake, Language, Device} ->
//	                                   <-   AgentRegistered{SessionID, ResumeKey, Status: Ready, Channel}
//	                                        the technicians of the channel get QueueUpdate (offer);
//	                                        with auto-assign one gets Notice{assigned} and has a
//	                                        minute to Connect before it moves on
//	                                   <-   or Error{ErrBadRequest, "Please describe your problem."}
//	                                        when the Intake does not fit the channel's form
//	  The app fetches the channel's form with CallForm on a short
//	  connection of its own (the end user may take longer to fill it in
//	  than the relay's Hello timeout allows), then asks only the fields
//	  the form does not switch off ("" reads as off), insists on the
//	  required ones and offers category and priority from the lists. It
//	  registers on a new connection; on ErrBadRequest (the form changed in
//	  between, a value left the lists) it shows the relay's sentence,
//	  fetches the form again, asks again and registers again: the relay
//	  alone decides. CallForm and CallFormInfo (76, 77) came within
//	  version 4, so a relay of version 4 that predates them closes the
//	  connection as a protocol violation: the app then asks for a name and
//	  a problem, both optional, as before.
//	  Language ("de-CH", from the OS locale) goes with every registration
//	  (code, link, SOS Call); the relay keeps it for routing.
//	relay -> agent (AgentRegister{Updates: true} only: an app that predates them
//	would close on types 78 and 79)
//	                                   <-   QueuePosition{Channel, Position, Estimate} when a request
//	                                        of a channel's queue (SOS Call, channel link) is queued or
//	                                        the app comes back, and whenever its position or the
//	                                        channel's median pick-up time changes; Position 0 and
//	                                        Technician once it is picked up
//	                                   <-   Participants{List of Peer{Name, Role}, Controls} whenever who
//	                                        is attached, their role or who controls changes
//	technician
//	  Pick{SessionID}                 ->    exactly one of several racing wins
//	                                   <-   SessionReply{Session}, or Error{ErrTaken, "NAME already picked ..."};
//	                                        the others get Notice{taken} (Connect to an unowned request
//	                                        picks it up first, with the same race)
//	  Transfer{SessionID, ToUser | ToChannel, Note, Leave} ->
//	                                   <-   SessionReply; the new owner gets Notice{assigned}, the agent
//	                                        Handover{From, To}; the new owner Connects (the end user is
//	                                        asked), and the previous owner is detached then (or at once
//	                                        with Leave)
//	  Invite{SessionID, User}         ->    the invitee gets Notice{invitation}
//	  InviteAnswer{SessionID, Accept} ->    the inviter gets Notice{invite-reply}; an accepted guest
//	                                        Connects: ConsentRequest{Guest: true, Permissions: [view, control]};
//	                                        a guest controls only when handed control (Control)
//	  Control{SessionID, give|take|request, To} -> OK; the agent and every attached technician
//	                                   <-   ControlChanged{Controller, By} (also when the owner joins
//	                                        and when the controller leaves); the app accepts input
//	                                        only from that technician, if its end user allowed
//	                                        them control; a request reaches the owner as Notice
//	  GuestRemove{SessionID, User}    ->    OK; only the owner: an attached guest is detached
//	                                        (PeerLeft "removed by NAME" to them and the agent), a
//	                                        pending invitation withdrawn; the guest gets Notice{removed}.
//	                                        Type 80 came within version 4: a relay that predates it
//	                                        closes the connection as a protocol violation
//	  NoteAdd{SessionID, Text}        ->    OK (notes are never sent to the agent)
//	  SessionUpdate{SessionID, Category, Priority, Ticket} -> SessionReply
//	  HistoryRequest{filters, Cursor} ->
//	                                   <-   HistoryPage{Sessions, Next}
//	  SetAvailability{Availability}   ->    OK
//	  DirectoryRequest                ->
//	                                   <-   Directory{Channels, Technicians, Categories, Priorities, Permissions, Me}
//	relay, when a channel's SLA passes with nobody picking a request up
//	                                   <-   Notice{escalated} to the channel's managers; the request
//	                                        moves to the fallback channel if one is set
//	                                   <-   OK; then every connection that signed in with that
//	                                        token is closed with ErrRevoked
//
//	recording with the consent of both sides (88-91): see record.go
//
// Requests (Hello, AgentRegister, CallForm, Login, Auth, QueueSubscribe, LinkCreate,
// Connect, ConsentRequest, End, Chat, Rate, SessionDetailsRequest, Logout) carry an
// ID; the answer carries ReplyTo with that ID and is either the named reply
// type, OK, or Error. Everything else is a one-way event (Chat is both: a
// request to the relay, an event from it). A peer that receives a malformed
// frame closes the connection with the QUIC application error code
// ErrProtocol; the relay and the SOS app do the same for a message type they
// do not know, which is why a new message type bumps Version (2 added Chat,
// Rate and SessionDetails) unless the sender copes with that close (CallForm
// in version 4 does: the app falls back to asking name and problem).
//
// # Chat and rating records
//
// The relay stores every chat message before it delivers it, with its own
// time and the sender's identity (the session's agent, or a technician
// attached to the session), so the stored transcript is the one every
// participant saw, in the same order. A rating is accepted once per
// session, from whoever holds the session's resume key (the SOS app that
// ran it), only after the session ended and only if a technician had
// joined it.
package proto
