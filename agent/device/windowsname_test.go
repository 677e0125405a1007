package device

import "testing"

func TestWindowsName(t *testing.T) {
	for _, c := range []struct {
		product, display string
		build            uint32
		want             string
	}{
		{"Windows 10 Pro", "22H2", 19045, "Windows 10 Pro 22H2 (10.0.19045)"},
		{"Windows 10 Pro", "23H2", 22631, "Windows 11 Pro 23H2 (10.0.22631)"},
		{"", "", 19045, "Windows (10.0.19045)"},
		{"Microsoft Windows 7", "", 7601, "Windows 7 (10.0.7601)"},
	} {
		if got := windowsName(c.product, c.display, 10, 0, c.build); got != c.want {
			t.Errorf("windowsName(%q, %q, %d) = %q, want %q", c.product, c.display, c.build, got, c.want)
		}
	}
}
