package media

import (
	"fmt"
	"net"
	"time"

	"github.com/pion/turn/v5"
)

// NewClient is a pion TURN client of the relay at server (host:port) with
// one peer's credentials, speaking over conn (a UDP socket, or
// turn.NewSTUNConn of a TCP connection), already listening. It is how tests
// and tools exercise the relay's TURN as a browser or an app would; Close
// it, then conn.
func NewClient(server, user, password string, conn net.PacketConn) (*turn.Client, error) {
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: server, TURNServerAddr: server, Conn: conn,
		Username: user, Password: password, Realm: Realm, RTO: 200 * time.Millisecond})
	if err != nil {
		return nil, fmt.Errorf("media: TURN client: %w", err)
	}
	if err := c.Listen(); err != nil {
		c.Close()
		return nil, fmt.Errorf("media: TURN client listen: %w", err)
	}
	return c, nil
}
