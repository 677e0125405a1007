package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// TestQueueShowsThePositionAndCancels: while the request waits the
// window shows its position and estimated wait, and End cancels it.
func TestQueueShowsThePositionAndCancels(t *testing.T) {
	w, rec := newTestWindow(t)
	w.Waiting("a technician")
	w.Queue(proto.QueuePosition{Channel: "Printing", Position: 3, Estimate: 4 * time.Minute})
	if w.queue.Hidden || w.queue.Text != "You are number 3 in the queue of Printing. Estimated wait: about 4 minutes." {
		t.Fatalf("queue label %q (hidden %v)", w.queue.Text, w.queue.Hidden)
	}
	if w.heading.Text != "Waiting for a technician" || w.end.Text != "Cancel request" {
		t.Fatalf("heading %q, button %q", w.heading.Text, w.end.Text)
	}
	w.Queue(proto.QueuePosition{Channel: "Printing", Position: 1})
	if w.queue.Text != "You are number 1 in the queue of Printing." {
		t.Fatalf("after moving up: %q", w.queue.Text)
	}
	test.Tap(w.end)
	rec.mu.Lock()
	ended := rec.ended
	rec.mu.Unlock()
	if !ended {
		t.Fatal("Cancel request did not end the request")
	}
	w.Queue(proto.QueuePosition{Channel: "Printing", Technician: "Anna Berg"})
	if w.heading.Text != "Anna Berg will connect shortly" || w.end.Text != "End session" ||
		w.queue.Text != "Anna Berg has taken your request and will ask you for permission to connect." {
		t.Fatalf("picked up: heading %q, button %q, queue %q", w.heading.Text, w.end.Text, w.queue.Text)
	}
}

// TestParticipantsListRolesAndControl: the window lists everyone
// connected with their role and who controls, as it changes.
func TestParticipantsListRolesAndControl(t *testing.T) {
	w, _ := newTestWindow(t)
	w.Queue(proto.QueuePosition{Channel: "Printing", Technician: "Anna Berg"})
	anna := proto.Participant{Peer: proto.Peer{ID: 1, Name: "Anna Berg", Role: proto.PeerOwner}, Controls: true}
	tom := proto.Participant{Peer: proto.Peer{ID: 2, Name: "Tom Weber", Role: proto.PeerGuest}}
	carla := proto.Participant{Peer: proto.Peer{ID: 3, Name: "Carla", Role: proto.PeerSupervisor}}
	want := func(step, text string) {
		t.Helper()
		if w.people.Hidden || w.people.Text != text {
			t.Fatalf("%s: people %q (hidden %v), want %q", step, w.people.Text, w.people.Hidden, text)
		}
	}
	w.Participants([]proto.Participant{anna}) // before PeerJoined: nothing shown yet
	if !w.people.Hidden {
		t.Fatalf("people shown before anyone joined: %q", w.people.Text)
	}
	w.Joined(anna.Peer)
	want("owner joined", "Connected: Anna Berg (your technician, controls your mouse and keyboard).")
	if !w.queue.Hidden {
		t.Fatal("the queue position is still shown in the session")
	}
	w.Participants([]proto.Participant{anna, tom})
	w.Joined(tom.Peer)
	want("guest joined", "Connected: Anna Berg (your technician, controls your mouse and keyboard), Tom Weber (guest, invited by your technician).")
	anna.Controls, tom.Controls = false, true
	w.Participants([]proto.Participant{anna, tom, carla})
	w.Joined(carla.Peer)
	want("control handed, supervisor watching", "Connected: Anna Berg (your technician), Tom Weber (guest, invited by your technician, controls your mouse and keyboard), Carla (supervisor, watching).")
	// A transfer: Tom owns the session now; Anna leaves.
	tom.Peer.Role = proto.PeerOwner
	w.Left(anna.Peer, "handed the session to Tom Weber")
	want("she left, before the new list", "Connected: Tom Weber (guest, invited by your technician, controls your mouse and keyboard), Carla (supervisor, watching).")
	w.Participants([]proto.Participant{tom, carla})
	want("after the transfer", "Connected: Tom Weber (your technician, controls your mouse and keyboard), Carla (supervisor, watching).")
	w.Left(carla.Peer, "left")
	w.Left(tom.Peer, "left")
	w.Participants(nil)
	if !w.people.Hidden {
		t.Fatalf("people still shown with nobody connected: %q", w.people.Text)
	}
}

// TestPeopleWithoutParticipants: a relay that does not send
// Participants still gets the names of who joined.
func TestPeopleWithoutParticipants(t *testing.T) {
	w, _ := newTestWindow(t)
	w.Joined(proto.Peer{ID: 1, Name: "Anna Berg"})
	if w.people.Text != "Connected: Anna Berg" {
		t.Fatalf("people %q", w.people.Text)
	}
}

// TestQueueDuringASession: a session transferred to a channel waits in
// its queue while the previous technician still watches: the window says
// so, and its button still ends the session.
func TestQueueDuringASession(t *testing.T) {
	w, _ := newTestWindow(t)
	w.Joined(proto.Peer{ID: 1, Name: "Anna Berg"})
	w.Queue(proto.QueuePosition{Channel: "Printing", Position: 2})
	if w.end.Text != "End session" || w.heading.Text != "Remote support in progress" || w.queue.Text != "You are number 2 in the queue of Printing." {
		t.Fatalf("button %q, heading %q, queue %q", w.end.Text, w.heading.Text, w.queue.Text)
	}
}
