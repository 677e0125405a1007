package web

import (
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/relaydesk/relaydesk/pkg/transport"
	"github.com/relaydesk/relaydesk/relay/limit"
)

// Server timeouts. A download is not bound by WriteTimeout: it moves the
// deadline forward on every write (Config.WriteStall).
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 60 * time.Second
)

// NewServer returns the HTTPS server for h with the timeouts above.
func NewServer(h http.Handler, tlsConf *tls.Config, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		TLSConfig:         tlsConf,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// Connection caps of LimitListener's callers in the relay.
const (
	MaxConns          = 1024
	MaxConnsPerSource = 32
)

// LimitListener accepts at most max connections at once, and perSource
// from one source (transport.SourceKey); it closes the ones beyond at once
// rather than letting them wait, and logs that through a gate.
func LimitListener(ln net.Listener, max, perSource int, log *slog.Logger) net.Listener {
	return &limitListener{Listener: ln, max: max, perSource: perSource, per: make(map[string]int), logs: limit.NewLogs(log, time.Minute, nil)}
}

type limitListener struct {
	net.Listener
	max, perSource int
	logs           *limit.Logs

	mu   sync.Mutex
	open int
	per  map[string]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := transport.SourceKey(c.RemoteAddr())
		l.mu.Lock()
		if l.open >= l.max || l.per[key] >= l.perSource {
			l.mu.Unlock()
			c.Close()
			l.logs.Info(nil, "HTTPS connection refused: too many open", "source", key)
			continue
		}
		l.open++
		l.per[key]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(key) }}, nil
	}
}

func (l *limitListener) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.per[key]--; l.per[key] <= 0 {
		delete(l.per, key)
	}
}

// countedConn gives its slot back once, on the first Close.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
