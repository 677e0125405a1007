package codes

import (
	"errors"
	"testing"
)

func TestNewIsNineDigitsAndSpread(t *testing.T) {
	first := map[byte]int{}
	seen := map[string]bool{}
	var dups []string
	for range 5000 {
		c := New()
		if _, err := Parse(c); err != nil || len(c) != 9 {
			t.Fatalf("code %q", c)
		}
		if seen[c] {
			dups = append(dups, c)
		}
		seen[c] = true
		first[c[0]]++
	}
	// 5000 uniform draws from 10^9 codes repeat one with a chance of
	// 1.25 % (the birthday bound: this test failed CI once when it
	// allowed none); three or more repeats happen about 3 times in 10^7
	// runs, while a generator drawing from a million codes would repeat
	// about 12.
	if len(dups) > 2 {
		t.Fatalf("%d repeated codes in 5000: %v", len(dups), dups)
	}
	// Every leading digit appears (about 500 times each): no fixed prefix.
	for d := byte('0'); d <= '9'; d++ {
		if first[d] < 350 {
			t.Fatalf("leading digit %c only %d times: %v", d, first[d], first)
		}
	}
}

func TestFormatAndParse(t *testing.T) {
	if got := Format("012345678"); got != "012 345 678" {
		t.Fatalf("Format: %q", got)
	}
	for in, want := range map[string]string{
		"123456789": "123456789", " 123 456 789 ": "123456789", "123-456-789": "123456789", "123.456.789": "123456789",
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "12345678", "1234567890", "12345678a", "１２３４５６７８９", "123_456_789"} {
		if _, err := Parse(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"123 456 789", "000000000", "1-2-3", "", "999.999.999", "12345678x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := Parse(in)
		if err != nil {
			return
		}
		if len(c) != 9 {
			t.Fatalf("Parse(%q) = %q", in, c)
		}
		again, err := Parse(Format(c))
		if err != nil || again != c {
			t.Fatalf("Parse(Format(%q)) = %q, %v", c, again, err)
		}
	})
}
