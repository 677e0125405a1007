package e2e

import (
	"strings"
	"testing"
)

// TestNoLocaleWarningUnderCUTF8: under LANG=C.UTF-8 (Debian servers,
// containers) neither program prints Fyne's "Error parsing user locale"
// warning (pkg/locale must initialise before Fyne does).
func TestNoLocaleWarningUnderCUTF8(t *testing.T) {
	env := []string{"LANG=C.UTF-8", "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=", "HOME=" + t.TempDir(), "XDG_CONFIG_HOME=" + t.TempDir()}
	for _, c := range [][]string{{"sos", "--help"}, {"console", "queue"}} {
		out, _ := run(t, env, "", c[0], c[1:]...)
		if strings.Contains(out, "Fyne error") || strings.Contains(out, "locale") {
			t.Errorf("%s %s printed a locale warning:\n%s", c[0], c[1], out)
		}
		if !strings.Contains(out, "sos") && !strings.Contains(out, "console") {
			t.Errorf("%s %s printed nothing recognisable (did it run?):\n%s", c[0], c[1], out)
		}
	}
}
