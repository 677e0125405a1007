package web

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/relaydesk/relaydesk/pkg/proto"
)

// Accessibility checklist (WCAG 2.1 AA) for the download pages. What a test
// can enforce, it enforces here; the rest was checked by hand:
//   - 1.1.1 no images carry information; 1.3.1 headings, lists and landmarks
//     (header, nav with a label, main, footer) are real markup;
//   - 1.4.3 text contrast >= 4.5:1 (computed below from the page's CSS);
//   - 2.1.1 everything works by keyboard: plain links, no JavaScript;
//   - 2.4.1 a skip link to the main content; 2.4.2 a title; 2.4.4 link text
//     says what the link does; 2.4.7 a visible focus outline;
//   - 3.1.1 / 3.1.2 the page language and the language names are marked;
//   - 4.1.3 a problem with the link is announced (role="alert").
//
// By hand: zoom to 200% and 320 px width reflow (1.4.4, 1.4.10).
func TestAccessibilityChecklist(t *testing.T) {
	f := newFixture(t)
	tok := f.link(t, proto.StatusWaiting)
	call := f.channel("Service Desk", "Help with accounts & printers")
	pages := map[string]string{}
	for _, lang := range []string{"en", "de", "nl"} {
		_, pages["link-"+lang] = f.get(t, "/s/"+tok+"?lang="+lang, winUA, "")
		_, pages["sos-"+lang] = f.get(t, "/sos?lang="+lang, linuxUA, "")
		_, pages["call-"+lang] = f.get(t, "/c/"+call+"?lang="+lang, linuxUA, "")
		_, pages["call-unknown-"+lang] = f.get(t, "/c/unknown?lang="+lang, linuxUA, "")
	}
	_, pages["expired"] = f.get(t, "/s/"+f.link(t, proto.StatusExpired), winUA, "")
	for name, body := range pages {
		for _, want := range []string{`<html lang="`, `<title>`, `<h1>`, `class="skip" href="#main"`, `<main id="main">`, `<nav aria-label="`, `a:focus`, `name="viewport"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: missing %s", name, want)
			}
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "onclick") {
			t.Errorf("%s: uses JavaScript", name)
		}
		for _, m := range regexp.MustCompile(`<a [^>]*>([^<]*)</a>`).FindAllStringSubmatch(body, -1) {
			if strings.TrimSpace(m[1]) == "" {
				t.Errorf("%s: a link without text", name)
			}
		}
	}
	for _, name := range []string{"expired", "call-unknown-en", "call-unknown-de", "call-unknown-nl"} {
		if !strings.Contains(pages[name], `role="alert"`) {
			t.Errorf("%s: the problem is not announced", name)
		}
	}
	// The SOS Call page's structure: one h1, the next steps as a heading
	// and a list.
	for _, lang := range []string{"en", "de", "nl"} {
		body := pages["call-"+lang]
		if strings.Count(body, "<h1>") != 1 || !strings.Contains(body, "<h2>"+catalog[lang].CallNext+"</h2>\n<ol>") {
			t.Errorf("call-%s: headings or steps missing", lang)
		}
	}
	// Contrast of every text/background pair the CSS uses.
	for _, p := range [][2]string{
		{"1a1a1a", "ffffff"}, {"0b4f9c", "ffffff"}, {"ffffff", "0b4f9c"}, {"3d3d3d", "ffffff"}, {"1a1a1a", "fdecef"}, {"0b4f9c", "fdecef"},
	} {
		if !strings.Contains(pages["link-en"], "#"+p[0]) && p[0] != "ffffff" {
			t.Errorf("colour #%s is no longer in the CSS; update this check", p[0])
		}
		if c := contrast(p[0], p[1]); c < 4.5 {
			t.Errorf("#%s on #%s has contrast %.2f < 4.5", p[0], p[1], c)
		}
	}
	// Non-text contrast (1.4.11): the focus outline against white.
	if c := contrast("c25e00", "ffffff"); c < 3 {
		t.Errorf("focus outline contrast %.2f < 3", c)
	}
}

func luminance(hex string) float64 {
	var l [3]float64
	for i := range 3 {
		v, _ := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}
