package filexfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":                      "report.pdf",
		"../../x":                         "x",
		"/etc/passwd":                     "passwd",
		`..\..\windows\win.ini`:           "win.ini",
		"..":                              "file",
		".":                               "file",
		"":                                "file",
		"a/":                              "file",
		".bashrc":                         "bashrc",
		"evil\x1b[31m.txt":                "evil[31m.txt",
		"con.txt":                         "_con.txt",
		"what?.txt":                       "what_.txt",
		"  spaced  ":                      "spaced",
		"photo\u202egnp.exe":              "photognp.exe", // no right-to-left override
		"a\x00b":                          "ab",
		strings.Repeat("x", 300):          strings.Repeat("x", 200),
		strings.Repeat("é", 150) + ".txt": strings.Repeat("é", 98) + ".txt",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"../../x", "/etc/passwd", `C:\a\b.txt`, "..", "con", "a\x00b", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SafeName(in)
		if got == "" || got == "." || got == ".." || len(got) > maxName {
			t.Fatalf("SafeName(%q) = %q", in, got)
		}
		if strings.ContainsAny(got, `/\<>:"|?*`) || strings.HasPrefix(got, ".") {
			t.Fatalf("SafeName(%q) = %q has a separator or forbidden character", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) {
				t.Fatalf("SafeName(%q) = %q has a control character", in, got)
			}
		}
		dir := t.TempDir()
		if p := filepath.Join(dir, got); filepath.Dir(p) != dir {
			t.Fatalf("SafeName(%q) = %q leaves the folder", in, got)
		}
	})
}

func TestPlaceNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(dir, "a (1).txt"), []byte("old1"), 0o644)
	tmp := filepath.Join(dir, ".tmp")
	os.WriteFile(tmp, []byte("new"), 0o644)
	got, err := Place(tmp, dir, "../a.txt")
	if err != nil || got != filepath.Join(dir, "a (2).txt") {
		t.Fatalf("Place = %q, %v", got, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(b) != "old" {
		t.Fatal("the existing file was overwritten")
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the temporary file stayed")
	}
}

func TestPartialResumesFromWhatItHas(t *testing.T) {
	dir := t.TempDir()
	const id = "00ff"
	p, err := OpenPartial(dir, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Write(0, []byte("hello ")); err != nil {
		t.Fatal(err)
	}
	if err := p.Write(3, []byte("x")); !errors.Is(err, ErrOffset) {
		t.Fatalf("a write at the wrong offset: %v", err)
	}
	p.Close()
	p, err = OpenPartial(dir, id)
	if err != nil || p.Offset() != 6 {
		t.Fatalf("reopened at %d, %v; want 6", p.Offset(), err)
	}
	p.Write(6, []byte("world"))
	sum := sha256.Sum256([]byte("hello world"))
	path, err := p.Finish(11, hex.EncodeToString(sum[:]), "greeting.txt")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "hello world" || filepath.Base(path) != "greeting.txt" {
		t.Fatalf("%s holds %q", path, b)
	}
	if _, err := os.Stat(PartialPath(dir, id)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the partial file stayed")
	}
}

func TestPartialRefusesADamagedFile(t *testing.T) {
	dir := t.TempDir()
	p, _ := OpenPartial(dir, "01")
	p.Write(0, []byte("abc"))
	if _, err := p.Finish(3, strings.Repeat("0", 64), "x"); !errors.Is(err, ErrDamaged) {
		t.Fatalf("got %v, want ErrDamaged", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	if _, err := OpenPartial(dir, "../x"); !errors.Is(err, ErrBadID) {
		t.Fatalf("an ID with a path: %v", err)
	}
}

// pipe is one direction of a fake data channel: messages are delivered in
// order on a goroutine, as pion does; cut drops it like a lost connection.
type pipe struct {
	mu       sync.Mutex
	q        [][]byte
	cond     *sync.Cond
	to       func([]byte)
	dead     bool
	buffered atomic.Int64
	drop     func(m proto.FileMsg) bool // drops matching messages silently (nil: none)
	wg       sync.WaitGroup
}

func newPipe(to func([]byte)) *pipe {
	p := &pipe{to: to}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Go(func() {
		for {
			p.mu.Lock()
			for len(p.q) == 0 && !p.dead {
				p.cond.Wait()
			}
			if p.dead {
				p.mu.Unlock()
				return
			}
			b := p.q[0]
			p.q = p.q[1:]
			p.mu.Unlock()
			p.buffered.Add(-int64(len(b)))
			p.to(b)
		}
	})
	return p
}

func (p *pipe) Send(b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead {
		return errors.New("closed")
	}
	if p.drop != nil {
		if m, err := proto.DecodeFileMsg(b); err == nil && p.drop(m) {
			return nil
		}
	}
	p.q = append(p.q, append([]byte(nil), b...))
	p.buffered.Add(int64(len(b)))
	p.cond.Signal()
	return nil
}

func (p *pipe) BufferedAmount() uint64 { return uint64(p.buffered.Load()) }

func (p *pipe) cut() {
	p.mu.Lock()
	p.dead = true
	p.q = nil
	p.cond.Signal()
	p.mu.Unlock()
	p.wg.Wait()
}

// connect gives console and app a fresh pair of channels.
func connect(console, app *Endpoint) (toApp, toConsole *pipe) {
	toApp = newPipe(app.OnMessage)
	toConsole = newPipe(console.OnMessage)
	app.SetChannel(toConsole)
	console.SetChannel(toApp)
	return toApp, toConsole
}

func randomFile(t *testing.T, dir string, n int) (string, string) {
	b := make([]byte, n)
	rand.Read(b)
	path := filepath.Join(dir, "data.bin")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:])
}

// A send that loses its channel half way goes on, on the next one, from
// the byte the receiver has; the stored file's SHA-256 is the original's
// and the receiver and the sender reported done with it.
func TestSendResumesOnANewChannel(t *testing.T) {
	src, appDir := t.TempDir(), t.TempDir()
	path, sum := randomFile(t, src, 3<<20+123)
	var reports []proto.FileReport
	var rmu sync.Mutex
	var cutAt atomic.Int64
	app := &Endpoint{Dir: appDir, Accept: func(ctx context.Context, m proto.FileMsg) (Job, error) {
		return Job{SessionID: "s", Name: "../../evil.bin", Size: m.Size, Limit: 10 << 20}, nil
	}, Report: func(r proto.FileReport) { rmu.Lock(); reports = append(reports, r); rmu.Unlock() }}
	var sent []proto.FileReport
	console := &Endpoint{Driver: true, Report: func(r proto.FileReport) { rmu.Lock(); sent = append(sent, r); rmu.Unlock() }}
	defer app.Close()
	defer console.Close()
	toApp, toConsole := connect(console, app)
	// The first channel carries the first MiB, then the connection drops.
	toApp.drop = func(m proto.FileMsg) bool {
		if m.Kind == proto.FileData && m.Offset >= 1<<20 {
			cutAt.CompareAndSwap(0, m.Offset)
			return true
		}
		return false
	}
	if err := console.Start(Job{ID: "ab12", SessionID: "s", Send: true, Path: path, Name: "data.bin", Size: 3<<20 + 123}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for cutAt.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// Everything before the cut arrived; the app has a partial file.
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(PartialPath(appDir, "ab12")); err == nil && fi.Size() == 1<<20 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if fi, err := os.Stat(PartialPath(appDir, "ab12")); err != nil || fi.Size() != 1<<20 {
		t.Fatalf("partial file before the drop: %v %v", fi, err)
	}
	toApp.cut()
	toConsole.cut()
	a, b := connect(console, app) // the new peer connection
	defer a.cut()
	defer b.cut()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ev, err := console.Wait(ctx, "ab12")
	if err != nil || ev.State != proto.FileDone {
		t.Fatalf("sender's end: %+v %v", ev, err)
	}
	got, err := os.ReadFile(filepath.Join(appDir, "evil.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if s := sha256.Sum256(got); hex.EncodeToString(s[:]) != sum {
		t.Fatal("the stored file differs from the original")
	}
	rmu.Lock()
	defer rmu.Unlock()
	if len(reports) != 1 || reports[0].State != proto.FileDone || reports[0].SHA256 != sum || reports[0].Size != 3<<20+123 {
		t.Fatalf("reports: %+v", reports)
	}
	if len(sent) != 1 || sent[0] != reports[0] {
		t.Fatalf("the sender reported %+v, the receiver %+v", sent, reports)
	}
	if ev.Moved != ev.Size-1<<20 { // the resumed run went on from the first MiB
		t.Fatalf("the last run moved %d of %d bytes; want all but the first MiB", ev.Moved, ev.Size)
	}
}

// A fetch: the app sends, the console receives into its folder; over the
// limit the console cancels and keeps nothing.
func TestFetchAndLimit(t *testing.T) {
	src, conDir := t.TempDir(), t.TempDir()
	path, sum := randomFile(t, src, 200<<10)
	app := &Endpoint{Dir: t.TempDir(), Accept: func(ctx context.Context, m proto.FileMsg) (Job, error) {
		if m.ID == "dead" {
			return Job{}, errors.New("The end user declined.")
		}
		return Job{SessionID: "s", Send: true, Path: path, Name: "data.bin", Size: 200 << 10}, nil
	}}
	var reports []proto.FileReport
	var rmu sync.Mutex
	console := &Endpoint{Driver: true, Dir: conDir, Report: func(r proto.FileReport) { rmu.Lock(); reports = append(reports, r); rmu.Unlock() }}
	defer app.Close()
	defer console.Close()
	a, b := connect(console, app)
	defer a.cut()
	defer b.cut()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	console.Start(Job{ID: "01", SessionID: "s", Name: "report.bin", Limit: 1 << 20})
	ev, err := console.Wait(ctx, "01")
	if err != nil || ev.State != proto.FileDone {
		t.Fatalf("fetch: %+v %v", ev, err)
	}
	got, _ := os.ReadFile(filepath.Join(conDir, "report.bin"))
	if s := sha256.Sum256(got); hex.EncodeToString(s[:]) != sum {
		t.Fatal("the fetched file differs")
	}

	console.Start(Job{ID: "02", SessionID: "s", Name: "big.bin", Limit: 100 << 10})
	ev, _ = console.Wait(ctx, "02")
	if ev.State != proto.FileCancelled || !strings.Contains(ev.Reason, "at most 102.4 kB") {
		t.Fatalf("over the limit: %+v", ev)
	}
	console.Start(Job{ID: "dead", SessionID: "s", Name: "x"})
	ev, _ = console.Wait(ctx, "dead")
	if ev.State != proto.FileCancelled || ev.Reason != "The end user declined." {
		t.Fatalf("declined: %+v", ev)
	}
	if _, err := os.Stat(filepath.Join(conDir, "big.bin")); err == nil {
		t.Fatal("a file over the limit was kept")
	}
	entries, _ := os.ReadDir(conDir)
	if len(entries) != 1 {
		t.Fatalf("the folder holds %v", entries)
	}
	rmu.Lock()
	defer rmu.Unlock()
	if len(reports) != 3 || reports[0].State != proto.FileDone || reports[0].SHA256 != sum {
		t.Fatalf("reports: %+v", reports)
	}
}

// The app answers an ID it was not offered with a cancel, and a message
// that is not CBOR changes nothing.
func TestUnknownTransferIsRefused(t *testing.T) {
	app := &Endpoint{Dir: t.TempDir()}
	console := &Endpoint{Driver: true, Dir: t.TempDir()}
	defer app.Close()
	defer console.Close()
	a, b := connect(console, app)
	defer a.cut()
	defer b.cut()
	app.OnMessage([]byte("not cbor"))
	console.Start(Job{ID: "0a", SessionID: "s", Send: true, Path: "/nonexistent", Name: "x", Size: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := console.Wait(ctx, "0a")
	if err != nil || ev.State != proto.FileCancelled || ev.Reason != "This side takes no files." {
		t.Fatalf("%+v %v", ev, err)
	}
}

func TestProgressLine(t *testing.T) {
	ev := Event{Job: Job{Name: "a.bin", Size: 10_000_000}, Done: 2_500_000, Moved: 2_000_000, Elapsed: time.Second}
	if got := Progress(ev); got != "a.bin: 2.5 MB of 10.0 MB (25%), 2.0 MB/s, 4s left" {
		t.Fatalf("%q", got)
	}
	if !bytes.Equal([]byte(Bytes(999)), []byte("999 B")) {
		t.Fatal(Bytes(999))
	}
}

// A channel's first message may arrive before its open callback ran: the
// answer goes back on the channel the message came on (Use).
func TestAnswerOnTheChannelTheMessageCameOn(t *testing.T) {
	src, appDir := t.TempDir(), t.TempDir()
	path, sum := randomFile(t, src, 100<<10)
	app := &Endpoint{Dir: appDir, Accept: func(ctx context.Context, m proto.FileMsg) (Job, error) {
		return Job{SessionID: "s", Name: "x.bin", Size: m.Size, Limit: m.Size}, nil
	}}
	console := &Endpoint{Driver: true}
	defer app.Close()
	defer console.Close()
	old := newPipe(func([]byte) {}) // the app's last channel: dead
	app.SetChannel(old)
	var toConsole *pipe
	toConsole = newPipe(console.OnMessage)
	toApp := newPipe(func(b []byte) { app.Use(toConsole); app.OnMessage(b) }) // no open callback yet
	defer toApp.cut()
	defer toConsole.cut()
	defer old.cut()
	console.SetChannel(toApp)
	console.Start(Job{ID: "0c", SessionID: "s", Send: true, Path: path, Name: "x.bin", Size: 100 << 10})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ev, err := console.Wait(ctx, "0c")
	if err != nil || ev.State != proto.FileDone {
		t.Fatalf("%+v %v", ev, err)
	}
	if fileSum := sha256File(t, filepath.Join(appDir, "x.bin")); fileSum != sum {
		t.Fatal("the file differs")
	}
}

func sha256File(t *testing.T, p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Closing an endpoint removes the partial files of unfinished transfers.
func TestCloseRemovesUnfinishedFiles(t *testing.T) {
	dir := t.TempDir()
	console := &Endpoint{Driver: true, Dir: dir}
	if err := console.Start(Job{ID: "0d", SessionID: "s", Name: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(PartialPath(dir, "0d")); err != nil {
		t.Fatal(err)
	}
	console.Close()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}
