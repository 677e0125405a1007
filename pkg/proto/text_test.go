package proto

import "testing"

func TestCleanText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"hello", "hello"},
		{"line one\nline two\ttabbed", "line one\nline two\ttabbed"},
		{"\x1b]0;pwned\x07title", "]0;pwnedtitle"},
		{"\x1b]52;c;ZXZpbA==\x1b\\", "]52;c;ZXZpbA==\\"},
		{"bell\x07 del\x7f cr\r", "bell del cr"},
		{"c1 \u009b31m csi", "c1 31m csi"},
		{"Grüße, 日本", "Grüße, 日本"},
	} {
		if got := CleanText(c.in); got != c.want {
			t.Errorf("CleanText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestGrantWithin(t *testing.T) {
	g := Grant{PermClipboard, PermView, "files", PermView}.Within(AllPermissions)
	if len(g) != 2 || g[0] != PermView || g[1] != PermClipboard {
		t.Fatalf("Within = %v, want [view clipboard]", g)
	}
	if !(Grant{PermView}).ViewOnly() || (Grant{PermView, PermControl}).ViewOnly() {
		t.Fatal("ViewOnly is wrong")
	}
}
