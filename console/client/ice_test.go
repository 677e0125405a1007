package client

import (
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func envelope(t *testing.T, typ proto.Type, body any) proto.Envelope {
	t.Helper()
	b, err := proto.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return proto.Envelope{Type: typ, Body: b}
}

func TestRenewedICE(t *testing.T) {
	fresh := []proto.ICEServer{{URLs: []string{"turn:relay:4433?transport=udp"}, Username: "1800000000:s:7", Credential: "c"}}
	ice, ok := RenewedICE(envelope(t, proto.TypeICERenewed, &proto.ICERenewed{SessionID: "s", ICE: fresh}))
	if !ok || len(ice) != 1 || ice[0].Username != fresh[0].Username {
		t.Fatalf("renewed ICE %+v %v", ice, ok)
	}
	if _, ok := RenewedICE(envelope(t, proto.TypeICERenewed, &proto.ICERenewed{SessionID: "s"})); ok {
		t.Fatal("an empty renewal would drop the credentials the viewer has")
	}
	if _, ok := RenewedICE(envelope(t, proto.TypeChat, &proto.Chat{SessionID: "s", Text: "hi"})); ok {
		t.Fatal("a chat message taken for credentials")
	}
}
