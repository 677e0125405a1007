package main

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDeps checks that the relay and the shared packages stay a pure-Go
// static build: no Fyne, no robotgo, no cgo anywhere in their dependencies.
func TestDeps(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,CgoFiles", "github.com/relaydesk/relaydesk/relay/cmd/relay", "github.com/relaydesk/relaydesk/pkg/...")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(out)
	n := 0
	for {
		var p struct {
			ImportPath string
			CgoFiles   []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		for _, bad := range []string{"fyne.io/", "github.com/go-vgo/robotgo", "github.com/relaydesk/relaydesk/agent", "github.com/relaydesk/relaydesk/console"} {
			if strings.HasPrefix(p.ImportPath, bad) {
				t.Errorf("the relay depends on %s", p.ImportPath)
			}
		}
		if len(p.CgoFiles) > 0 || p.ImportPath == "C" {
			t.Errorf("%s uses cgo", p.ImportPath)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("go list: %v", err)
	}
	if n < 20 {
		t.Fatalf("only %d packages listed; the check is not looking", n)
	}
	build := exec.Command("go", "build", "-o", os.DevNull, "github.com/relaydesk/relaydesk/relay/cmd/relay")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 build of the relay failed: %v\n%s", err, b)
	}
}
