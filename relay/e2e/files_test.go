package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// fileWithData writes n random bytes to dir/name and returns the path
// and its SHA-256.
func fileWithData(t *testing.T, dir, name string, n int) (string, string) {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, sha256Hex(b)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// fileSum is the SHA-256 of the file at p ("" when it cannot be read).
func fileSum(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Errorf("read %s: %v", p, err)
		return ""
	}
	return sha256Hex(b)
}

// TestFilesBothWays sends two files to the end user and fetches two from
// their computer with the real programs: the contents arrive with equal
// SHA-256, an existing name is not overwritten ("report (1).txt"), a
// name with a path ("..\..\evil.txt", "/etc/passwd") lands inside the
// target folder, the end user is asked before each fetch, and the relay
// records every transfer with its hash.
func TestFilesBothWays(t *testing.T) {
	parallel(t)
	disp := xvfb(t, 640, 480)
	r := startRelay(t)
	tech := r.login(t, "admin", r.adminPW)
	downloads, src, fetched, remote := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(downloads, "report.txt"), []byte("the end user's own report"), 0o644)
	report, reportSum := fileWithData(t, src, "report.txt", 1<<20+77)
	evil, evilSum := fileWithData(t, src, `..\..\evil.txt`, 1000) // a legal name on Linux, a path on Windows
	theirs, theirsSum := fileWithData(t, remote, "photo.jpg", 300<<10)
	passwd, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}

	sos := start(t, []string{"DISPLAY=" + disp, "XDG_DOWNLOAD_DIR=" + downloads}, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code := strings.ReplaceAll(sos.expect(codeLine)[1], " ", "")
	con := start(t, tech.env, "console", "connect", code, "--send", report, "--send", evil,
		"--fetch", theirs, "--fetch", "/etc/passwd", "--fetch-dir", fetched)
	sos.expect(`Allow\?`)
	sos.say("y")
	id := con.expect(`Connected to session ([0-9a-f]+)`)[1]
	sos.expect(`Received report.txt \(1.0 MB\) from admin; saved as report \(1\).txt in ` + regexp.QuoteMeta(downloads))
	sos.expect(`Received evil.txt \(1.0 kB\) from admin; saved as evil.txt in ` + regexp.QuoteMeta(downloads))
	sos.expect(`admin wants to copy the file ` + regexp.QuoteMeta(theirs) + ` \(307.2 kB\) from this computer. Allow\? \[y/N\]`)
	sos.say("y")
	sos.expect(`admin wants to copy the file /etc/passwd \(.*\) from this computer. Allow\?`)
	sos.say("yes")
	con.expect(`Fetched /etc/passwd \(.*\) into ` + regexp.QuoteMeta(filepath.Join(fetched, "passwd")))
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}

	if got := fileSum(t, filepath.Join(downloads, "report (1).txt")); got != reportSum {
		t.Errorf("report (1).txt: SHA-256 %s, want %s", got, reportSum)
	}
	if b, _ := os.ReadFile(filepath.Join(downloads, "report.txt")); string(b) != "the end user's own report" {
		t.Error("the end user's report.txt was overwritten")
	}
	if got := fileSum(t, filepath.Join(downloads, "evil.txt")); got != evilSum {
		t.Errorf("evil.txt: SHA-256 %s, want %s", got, evilSum)
	}
	if got := fileSum(t, filepath.Join(fetched, "photo.jpg")); got != theirsSum {
		t.Errorf("photo.jpg: SHA-256 %s, want %s", got, theirsSum)
	}
	if got := fileSum(t, filepath.Join(fetched, "passwd")); got != sha256Hex(passwd) {
		t.Errorf("passwd: SHA-256 %s, want %s", got, sha256Hex(passwd))
	}
	for _, dir := range []string{downloads, fetched} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("%s kept a partial file %s", dir, e.Name())
			}
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(filepath.Dir(downloads)), "evil.txt")); err == nil {
		t.Error("evil.txt left the Downloads folder")
	}

	// The session's record shows them to the technician.
	out, c := run(t, tech.env, "", "console", "session", id)
	if c != 0 || !strings.Contains(out, "Files:") || !regexp.MustCompile(`admin\s+sent to the end user\s+report\.txt\s+1\.0 MB\s+done\s+`+reportSum).MatchString(out) ||
		!regexp.MustCompile(`fetched from the end user\s+/etc/passwd`).MatchString(out) {
		t.Errorf("console session %s:\n%s", id, out)
	}

	st := r.openStore(t)
	list, err := st.Transfers(context.Background(), id)
	if err != nil || len(list) != 4 {
		t.Fatalf("recorded transfers: %+v %v", list, err)
	}
	want := []struct {
		dir  proto.FileDirection
		name string
		sum  string
	}{{proto.FileSend, "report.txt", reportSum}, {proto.FileSend, `..\..\evil.txt`, evilSum}, {proto.FileFetch, theirs, theirsSum}, {proto.FileFetch, "/etc/passwd", sha256Hex(passwd)}}
	for i, w := range want {
		got := list[i]
		if got.Direction != w.dir || got.Name != w.name || got.SHA256 != w.sum || got.State != proto.FileDone || got.Technician != "admin" || got.EndedAt.IsZero() {
			t.Errorf("transfer %d: %+v, want %s %s %s done", i, got, w.dir, w.name, w.sum)
		}
	}
	kinds := map[string]int{}
	evs, _ := st.AuditEvents(context.Background(), 0, 1000)
	for _, e := range evs {
		if e.SessionID == id {
			kinds[e.Kind]++
		}
	}
	if kinds["file.started"] != 4 || kinds["file.done"] != 4 {
		t.Errorf("audit: %v", kinds)
	}
}

// TestFilesRefusedWithoutThePermission: a technician whose files
// permission is denied hears why, the app gets nothing, the console exits 1.
func TestFilesRefusedWithoutThePermission(t *testing.T) {
	parallel(t)
	disp := xvfb(t, 640, 480)
	r := startRelay(t)
	r.addUser(t, "tina", "technician", "tina-password-1")
	if out, code := run(t, nil, "", "relay", "user", "permit", "--data", r.data, "tina", "files", "deny"); code != 0 {
		t.Fatalf("permit: %s", out)
	}
	tech := r.login(t, "tina", "tina-password-1")
	downloads, src := t.TempDir(), t.TempDir()
	report, _ := fileWithData(t, src, "report.txt", 5000)
	sos := start(t, []string{"DISPLAY=" + disp, "XDG_DOWNLOAD_DIR=" + downloads}, "sos", "--relay", r.addr, "--fingerprint", r.fp, "--no-gui")
	code := strings.ReplaceAll(sos.expect(codeLine)[1], " ", "")
	con := start(t, tech.env, "console", "connect", code, "--send", report)
	sos.expect(`Allow\?`)
	sos.say("y")
	con.expect(regexp.QuoteMeta(report) + `: You may not transfer files\.`)
	con.expect(`File transfer: 1 of 1 transfers did not complete\.`)
	if c := con.wait(); c != 1 {
		t.Fatalf("console exit %d, want 1", c)
	}
	if entries, _ := os.ReadDir(downloads); len(entries) != 0 {
		t.Fatalf("the Downloads folder holds %v", entries)
	}
}

// TestFileResumesAfterTheNetworkDrops sends a file through the relay's
// TURN server over a 4 MB/s link (the UDP proxy TestAgentNetworkDrop
// uses, announced as the relay's address), cuts the link for a few
// seconds half way, and checks that the transfer goes on from the byte
// the end user's app had, not from the start, and arrives whole.
func TestFileResumesAfterTheNetworkDrops(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 30 seconds")
	}
	disp := xvfb(t, 640, 480)
	px := newUDPProxy(t, "")
	px.limit.Store(4_000_000)
	r := &relay{data: dataDir(t), extra: []string{"--public", px.addr()}}
	r.launch(t)
	px.setTarget(t, r.addr)
	tech := r.login(t, "admin", r.adminPW)
	downloads, src := t.TempDir(), t.TempDir()
	big, bigSum := fileWithData(t, src, "big.bin", 24<<20)

	sos := start(t, []string{"DISPLAY=" + disp, "XDG_DOWNLOAD_DIR=" + downloads}, "sos", "--relay", px.addr(), "--fingerprint", r.fp, "--no-gui", "--turn-only")
	code := strings.ReplaceAll(sos.expect(codeLine)[1], " ", "")
	con := start(t, tech.env, "console", "connect", code, "--turn-only", "--send", big)
	sos.expect(`Allow\?`)
	sos.say("y")
	id := con.expect(`Connected to session ([0-9a-f]+)`)[1]
	// Some of it arrived: cut the link.
	sos.expect(`Receiving big\.bin from admin: [1-9][0-9.]* MB of 25\.2 MB`)
	px.drop.Store(true)
	sos.expect(`Connection lost`)
	part, err := os.Stat(filepath.Join(downloads, ".relaydesk-"+transferID(t, r, id)+".part"))
	if err != nil || part.Size() == 0 {
		t.Fatalf("no partial file while the link is down: %v", err)
	}
	px.drop.Store(false)
	from := sos.expect(`Receiving big\.bin from admin: the connection is back; going on from ([0-9.]+) MB\.`)[1]
	if from == "0.0" {
		t.Fatal("the transfer started again from the beginning")
	}
	con.expect(`big\.bin: the connection is back; going on from ` + regexp.QuoteMeta(from) + ` MB\.`)
	sos.expect(`Received big\.bin \(25\.2 MB\) from admin; saved as big\.bin`)
	con.expect(`Sent .*big\.bin \(25\.2 MB\); the end user's app saved it as big\.bin\.`)
	if c := con.wait(); c != 0 {
		t.Fatalf("console exit %d", c)
	}
	if got := fileSum(t, filepath.Join(downloads, "big.bin")); got != bigSum {
		t.Fatalf("big.bin: SHA-256 %s, want %s", got, bigSum)
	}
	list, err := r.openStore(t).Transfers(context.Background(), id)
	if err != nil || len(list) != 1 || list[0].State != proto.FileDone || list[0].SHA256 != bigSum {
		t.Fatalf("recorded: %+v %v", list, err)
	}
}

// transferID is the ID of the only transfer of session id.
func transferID(t *testing.T, r *relay, id string) string {
	t.Helper()
	list, err := r.openStore(t).Transfers(context.Background(), id)
	if err != nil || len(list) != 1 {
		t.Fatalf("transfers of %s: %+v %v", id, list, err)
	}
	return list[0].ID
}
