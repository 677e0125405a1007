package proto

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz seed corpora")

// TestSeedCorpora keeps the checked-in fuzz seeds (testdata/fuzz) in step
// with the messages: every seed message has a corpus file, and the files
// still decode. Run with -update-seeds after changing a message.
func TestSeedCorpora(t *testing.T) {
	var inputs [][]byte
	for _, in := range []Input{{Kind: InputMove, X: 0.5, Y: 0.25}, {Kind: InputDown, Button: "left"}, {Kind: InputKeyDn, Key: "Return"}, {Kind: InputText, Text: "héllo"}} {
		b, err := Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	sets := map[string][][]byte{"FuzzReadFrame": seedFrames(t), "FuzzBodies": seedBodies(t), "FuzzDecodeInput": inputs}
	sets["FuzzDecodeDraw"] = drawSeeds(t) // draw_test.go
	for name, seeds := range sets {
		dir := filepath.Join("testdata", "fuzz", name)
		for i, b := range seeds {
			path := filepath.Join(dir, fmt.Sprintf("seed-%02d", i))
			want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
			if *updateSeeds {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestSeedCorpora -update-seeds)", err)
			}
			if string(got) != want {
				t.Errorf("%s is out of date (run go test -run TestSeedCorpora -update-seeds)", path)
			}
		}
	}
}
