package web

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecurityHeaders(t *testing.T) {
	f := newFixture(t)
	res, _ := f.get(t, "/sos", linuxUA, "")
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "base-uri 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Fatalf("CSP %q", csp)
	}
	if res.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("X-Frame-Options %q", res.Header.Get("X-Frame-Options"))
	}
	if h := res.Header.Get("Strict-Transport-Security"); h != "" {
		t.Fatalf("HSTS %q with the relay's self-signed certificate", h)
	}
	f.h.cfg.HSTS = true
	if res, _ := f.get(t, "/sos", linuxUA, ""); !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Fatal("no HSTS with a real certificate")
	}
}

func TestServerTimeouts(t *testing.T) {
	s := NewServer(http.NotFoundHandler(), nil, testLog())
	if s.ReadHeaderTimeout == 0 || s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout == 0 {
		t.Fatalf("timeouts %v %v %v %v", s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
}

// downloadServer serves a big build with a WriteTimeout far shorter than
// the download takes, and WriteStall per write.
func downloadServer(t *testing.T, stall time.Duration) (url string, size int) {
	t.Helper()
	f := newFixture(t)
	size = 24 << 20
	if err := os.WriteFile(filepath.Join(f.h.cfg.Downloads, "sos-linux-amd64"), make([]byte, size), 0o755); err != nil {
		t.Fatal(err)
	}
	f.h.cfg.WriteStall = stall
	srv := httptest.NewUnstartedServer(f.h)
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + "/download/sos-linux-amd64", size
}

// A slow but alive download finishes although it takes longer than WriteTimeout.
func TestSlowDownloadFinishes(t *testing.T) {
	url, size := downloadServer(t, 2*time.Second)
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	start := time.Now()
	buf := make([]byte, 256<<10)
	n := 0
	for {
		m, err := res.Body.Read(buf)
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d of %d bytes (%v): %v", n, size, time.Since(start), err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n != size || time.Since(start) < 500*time.Millisecond {
		t.Fatalf("%d of %d bytes in %v (the test must outlast WriteTimeout)", n, size, time.Since(start))
	}
}

// A reader that stops reading is cut off after WriteStall.
func TestStalledDownloadEnds(t *testing.T) {
	url, size := downloadServer(t, 300*time.Millisecond)
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	time.Sleep(2 * time.Second)
	n, err := io.Copy(io.Discard, res.Body)
	if err == nil && int(n) == size {
		t.Fatal("a reader that stalled for 2 s still got the whole download")
	}
}

func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := LimitListener(inner, 10, 2, testLog())
	defer ln.Close()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(ln)
	defer srv.Close()
	get := func(c net.Conn) error {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return err
		}
		res, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			res.Body.Close()
		}
		return err
	}
	var conns []net.Conn
	for i := range 3 {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		err = get(c)
		if i < 2 && err != nil {
			t.Fatalf("connection %d of 2: %v", i+1, err)
		}
		if i == 2 && err == nil {
			t.Fatal("a 3rd connection from one source was served with a cap of 2")
		}
		conns = append(conns, c)
	}
	conns[0].Close()
	deadline := time.Now().Add(5 * time.Second) // the server notices the close
	for {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		err = get(c)
		c.Close()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a freed slot was not given back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
