package locale

import "testing"

func TestFix(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string // LANGUAGE afterwards
	}{
		{map[string]string{"LANG": "C.UTF-8"}, "en"},
		{map[string]string{"LC_ALL": "POSIX.utf8", "LANG": "de_DE.UTF-8"}, "en"},
		{map[string]string{"LC_MESSAGES": "C.UTF-8"}, "en"},
		{map[string]string{"LANG": "de_DE.UTF-8"}, ""},
		{map[string]string{"LC_ALL": "fr_FR.UTF-8", "LANG": "C.UTF-8"}, ""},
		{map[string]string{"LANG": "C"}, ""},
		{map[string]string{"LANG": "C.UTF-8", "LANGUAGE": "de"}, "de"},
		{map[string]string{}, ""},
	} {
		env := map[string]string{}
		for k, v := range c.env {
			env[k] = v
		}
		Fix(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
		if env["LANGUAGE"] != c.want {
			t.Errorf("%v: LANGUAGE %q, want %q", c.env, env["LANGUAGE"], c.want)
		}
	}
}

func TestTag(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LANG": "de_CH.UTF-8"}, "de-CH"},
		{map[string]string{"LC_ALL": "nl_NL@euro", "LANG": "de_CH.UTF-8"}, "nl-NL"},
		{map[string]string{"LC_MESSAGES": "fr", "LANG": "de_CH.UTF-8"}, "fr"},
		{map[string]string{"LANG": "es_419.UTF-8"}, "es-419"},
		{map[string]string{"LANG": "C.UTF-8"}, ""},
		{map[string]string{"LANG": "POSIX"}, ""},
		{map[string]string{"LANG": "x<script>"}, ""},
		{map[string]string{}, ""},
	} {
		if got := Tag(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: %q, want %q", c.env, got, c.want)
		}
	}
}

func TestWindowsTag(t *testing.T) {
	for name, want := range map[string]string{
		"de-DE": "de-DE", "nl-NL": "nl-NL", "en": "en", "sr-Latn-RS": "sr-RS",
		"es-419": "es-419", "": "", "x-IV": "",
	} {
		if got := windowsTag(name); got != want {
			t.Errorf("windowsTag(%q) = %q, want %q", name, got, want)
		}
	}
}
