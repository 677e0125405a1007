package web

import (
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// texts is one language's wording of the pages.
type texts struct {
	LangName    string
	SkipLink    string
	LangLabel   string
	LinkTitle   string
	SOSTitle    string
	Intro       string // who asked: %s technician, %s organisation
	IntroNoOrg  string
	SOSIntro    string
	Steps       []string
	Download    string // %s platform
	OtherOS     string
	NoBuilds    string
	NoApp       string
	NotHere     string // %s: the visitor's system, for which this server has no build yet
	SmartScreen string // under the Windows download: how to run an app Windows does not know yet
	Fingerprint string
	Connection  string // above the connection line
	Expires     string
	Privacy     string
	LinkUnknown string
	LinkExpired string
	LinkClosed  string
	LinkUsed    string
	Failure     string
	// SOS Call page (/c/<token>).
	CallTitle      string
	CallIntro      string // %s channel, %s organisation
	CallIntroNoOrg string // %s channel
	CallNext       string // heading above CallSteps
	CallSteps      []string
	CallUnknown    string
}

var langOrder = []string{"en", "de", "nl"}

var catalog = map[string]texts{
	"en": {
		LangName: "English", SkipLink: "Skip to the main content", LangLabel: "Language",
		LinkTitle: "Remote support", SOSTitle: "Remote support: get help now",
		Intro:      "%s from %s asked to help you with your computer.",
		IntroNoOrg: "%s asked to help you with your computer.",
		SOSIntro:   "Your support technician will help you through this short app. It shows a 9-digit code: read it to the technician.",
		Steps: []string{
			"Download the support app below.",
			"Open the downloaded file. Nothing is installed.",
			"When the technician connects, you are asked first. Click Allow to let them see and control your screen.",
			"You see who is connected and can end the session at any time.",
		},
		Download: "Download the support app for %s", OtherOS: "Other systems",
		NoBuilds:    "The support app cannot be downloaded from this server yet. Please tell your technician.",
		NoApp:       "There is no support app for your device. Please use a Windows, macOS or Linux computer.",
		NotHere:     "The support app for %s is not available on this server yet. Please tell your technician, or use another computer.",
		SmartScreen: "If Windows shows \"Windows protected your PC\", click \"More info\" and then \"Run anyway\": the app is signed by your support organisation, which Windows does not know well yet.",
		Fingerprint: "Security check for your technician: this server's key is", Expires: "This link can be used until",
		Connection:     "If the app asks for connection details (this can happen when the browser renamed the download), copy this line into it:",
		Privacy:        "Nobody can see or control your computer until you click Allow.",
		LinkUnknown:    "This support link is not valid. Please check the address or ask your technician for a new link.",
		LinkExpired:    "This support link has expired. Please ask your technician for a new link.",
		LinkClosed:     "The support session of this link has ended. If you still need help, please ask your technician for a new link.",
		LinkUsed:       "This support link was already used on a computer. Please ask your technician for a new link.",
		Failure:        "Something went wrong on the server. Please try again in a moment.",
		CallTitle:      "Ask for remote support",
		CallIntro:      "Your request goes to %s at %s.",
		CallIntroNoOrg: "Your request goes to %s.",
		CallNext:       "What happens next",
		CallSteps: []string{
			"Download the support app below and open it. Nothing is installed.",
			"The app asks what the support team needs to know, such as your name or your problem.",
			"Your request then waits in the queue until a technician is free. Keep the app open.",
			"When a technician wants to connect, you are asked first: you decide what they may do, and you can end the session at any time.",
		},
		CallUnknown: "This support page is not available. Ask your IT department for the current address.",
	},
	"de": {
		LangName: "Deutsch", SkipLink: "Zum Hauptinhalt springen", LangLabel: "Sprache",
		LinkTitle: "Fernwartung", SOSTitle: "Fernwartung: jetzt Hilfe bekommen",
		Intro:      "%s von %s möchte Ihnen an Ihrem Computer helfen.",
		IntroNoOrg: "%s möchte Ihnen an Ihrem Computer helfen.",
		SOSIntro:   "Ihr Support-Techniker hilft Ihnen über diese kleine App. Sie zeigt einen 9-stelligen Code: Nennen Sie ihn dem Techniker.",
		Steps: []string{
			"Laden Sie unten die Support-App herunter.",
			"Öffnen Sie die heruntergeladene Datei. Es wird nichts installiert.",
			"Wenn sich der Techniker verbindet, werden Sie zuerst gefragt. Klicken Sie auf Zulassen, damit er Ihren Bildschirm sehen und bedienen kann.",
			"Sie sehen, wer verbunden ist, und können die Sitzung jederzeit beenden.",
		},
		Download: "Support-App für %s herunterladen", OtherOS: "Andere Systeme",
		NoBuilds:    "Die Support-App kann von diesem Server noch nicht heruntergeladen werden. Bitte sagen Sie es Ihrem Techniker.",
		NoApp:       "Für Ihr Gerät gibt es keine Support-App. Bitte verwenden Sie einen Windows-, macOS- oder Linux-Computer.",
		NotHere:     "Die Support-App für %s ist auf diesem Server noch nicht verfügbar. Bitte sagen Sie es Ihrem Techniker oder verwenden Sie einen anderen Computer.",
		SmartScreen: "Meldet Windows „Der Computer wurde durch Windows geschützt“, klicken Sie auf „Weitere Informationen“ und dann auf „Trotzdem ausführen“: Die App ist von Ihrer Support-Organisation signiert, die Windows noch nicht gut kennt.",
		Fingerprint: "Sicherheitsprüfung für Ihren Techniker: Der Schlüssel dieses Servers ist", Expires: "Dieser Link ist gültig bis",
		Connection:     "Falls die App nach Verbindungsdaten fragt (das kann passieren, wenn der Browser die Datei umbenannt hat), kopieren Sie diese Zeile hinein:",
		Privacy:        "Niemand kann Ihren Computer sehen oder bedienen, bevor Sie auf Zulassen klicken.",
		LinkUnknown:    "Dieser Support-Link ist ungültig. Bitte prüfen Sie die Adresse oder bitten Sie Ihren Techniker um einen neuen Link.",
		LinkExpired:    "Dieser Support-Link ist abgelaufen. Bitte bitten Sie Ihren Techniker um einen neuen Link.",
		LinkClosed:     "Die Support-Sitzung dieses Links ist beendet. Wenn Sie weiter Hilfe brauchen, bitten Sie Ihren Techniker um einen neuen Link.",
		LinkUsed:       "Dieser Support-Link wurde bereits auf einem Computer verwendet. Bitte bitten Sie Ihren Techniker um einen neuen Link.",
		Failure:        "Auf dem Server ist ein Fehler aufgetreten. Bitte versuchen Sie es gleich noch einmal.",
		CallTitle:      "Fernwartung anfragen",
		CallIntro:      "Ihre Anfrage geht an %s bei %s.",
		CallIntroNoOrg: "Ihre Anfrage geht an %s.",
		CallNext:       "So geht es weiter",
		CallSteps: []string{
			"Laden Sie unten die Support-App herunter und öffnen Sie sie. Es wird nichts installiert.",
			"Die App fragt, was das Support-Team wissen muss, etwa Ihren Namen oder Ihr Problem.",
			"Ihre Anfrage wartet dann in der Warteschlange, bis ein Techniker frei ist. Lassen Sie die App geöffnet.",
			"Wenn sich ein Techniker verbinden möchte, werden Sie zuerst gefragt: Sie entscheiden, was er tun darf, und können die Sitzung jederzeit beenden.",
		},
		CallUnknown: "Diese Support-Seite ist nicht verfügbar. Fragen Sie Ihre IT-Abteilung nach der aktuellen Adresse.",
	},
	"nl": {
		LangName: "Nederlands", SkipLink: "Naar de hoofdinhoud", LangLabel: "Taal",
		LinkTitle: "Hulp op afstand", SOSTitle: "Hulp op afstand: nu hulp krijgen",
		Intro:      "%s van %s wil u helpen met uw computer.",
		IntroNoOrg: "%s wil u helpen met uw computer.",
		SOSIntro:   "Uw supportmedewerker helpt u via deze kleine app. Die toont een code van 9 cijfers: lees die voor aan de medewerker.",
		Steps: []string{
			"Download hieronder de support-app.",
			"Open het gedownloade bestand. Er wordt niets geïnstalleerd.",
			"Als de medewerker verbinding maakt, wordt het u eerst gevraagd. Klik op Toestaan om uw scherm te laten zien en bedienen.",
			"U ziet wie er verbonden is en kunt de sessie altijd beëindigen.",
		},
		Download: "Download de support-app voor %s", OtherOS: "Andere systemen",
		NoBuilds:    "De support-app kan nog niet van deze server worden gedownload. Laat het uw medewerker weten.",
		NoApp:       "Er is geen support-app voor uw apparaat. Gebruik een Windows-, macOS- of Linux-computer.",
		NotHere:     "De support-app voor %s is nog niet beschikbaar op deze server. Laat het uw medewerker weten of gebruik een andere computer.",
		SmartScreen: "Meldt Windows „Uw pc is beveiligd door Windows”, klik dan op „Meer informatie” en daarna op „Toch uitvoeren”: de app is ondertekend door uw supportorganisatie, die Windows nog niet goed kent.",
		Fingerprint: "Veiligheidscontrole voor uw medewerker: de sleutel van deze server is", Expires: "Deze link is geldig tot",
		Connection:     "Vraagt de app om verbindingsgegevens (dat kan gebeuren als de browser het bestand hernoemde), kopieer dan deze regel erin:",
		Privacy:        "Niemand kan uw computer zien of bedienen voordat u op Toestaan klikt.",
		LinkUnknown:    "Deze supportlink is niet geldig. Controleer het adres of vraag uw medewerker om een nieuwe link.",
		LinkExpired:    "Deze supportlink is verlopen. Vraag uw medewerker om een nieuwe link.",
		LinkClosed:     "De supportsessie van deze link is beëindigd. Hebt u nog hulp nodig, vraag uw medewerker dan om een nieuwe link.",
		LinkUsed:       "Deze supportlink is al op een computer gebruikt. Vraag uw medewerker om een nieuwe link.",
		Failure:        "Er ging iets mis op de server. Probeer het zo nog eens.",
		CallTitle:      "Hulp op afstand aanvragen",
		CallIntro:      "Uw aanvraag gaat naar %s bij %s.",
		CallIntroNoOrg: "Uw aanvraag gaat naar %s.",
		CallNext:       "Wat er nu gebeurt",
		CallSteps: []string{
			"Download hieronder de support-app en open die. Er wordt niets geïnstalleerd.",
			"De app vraagt wat het supportteam moet weten, zoals uw naam of uw probleem.",
			"Uw aanvraag wacht daarna in de wachtrij tot er een medewerker vrij is. Houd de app open.",
			"Als een medewerker verbinding wil maken, wordt het u eerst gevraagd: u bepaalt wat die mag doen, en u kunt de sessie altijd beëindigen.",
		},
		CallUnknown: "Deze supportpagina is niet beschikbaar. Vraag uw IT-afdeling naar het actuele adres.",
	},
}

// chooseLang picks ?lang= when valid, else the best Accept-Language match, else English.
func chooseLang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); catalog[l].LangName != "" {
		return l
	}
	type pref struct {
		lang string
		q    float64
	}
	var prefs []pref
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if catalog[base].LangName != "" && q > 0 {
			prefs = append(prefs, pref{base, q})
		}
	}
	sort.SliceStable(prefs, func(i, j int) bool { return prefs[i].q > prefs[j].q })
	if len(prefs) > 0 {
		return prefs[0].lang
	}
	return "en"
}

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.5;font-size:1.125rem}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
header,main,footer{max-width:40rem;margin:0 auto;padding:1rem}
nav ul{list-style:none;padding:0;display:flex;gap:1rem;margin:0}
a{color:#0b4f9c}a:focus,.button:focus{outline:3px solid #c25e00;outline-offset:2px}
.button{display:inline-block;background:#0b4f9c;color:#fff;padding:.75rem 1.25rem;border-radius:.375rem;text-decoration:none;font-weight:600}
.problem{border-left:6px solid #b00020;padding:.5rem 1rem;background:#fdecef}
.note{color:#3d3d3d}code{word-break:break-all;font-size:.9rem}
</style>
</head>
<body>
<a class="skip" href="#main">{{.T.SkipLink}}</a>
<header>
<nav aria-label="{{.T.LangLabel}}"><ul>{{range .Langs}}<li>{{if .Current}}<span aria-current="true"><strong lang="{{.Code}}">{{.Name}}</strong></span>{{else}}<a href="{{.Href}}" lang="{{.Code}}" hreflang="{{.Code}}">{{.Name}}</a>{{end}}</li>{{end}}</ul></nav>
</header>
<main id="main">
<h1>{{.Title}}</h1>
{{if .Problem}}
<p class="problem" role="alert">{{.Problem}}</p>
{{else}}{{if .Records}}{{template "records" .}}{{else}}
{{if .Call}}<p>{{if .Org}}{{printf .T.CallIntro .Channel .Org}}{{else}}{{printf .T.CallIntroNoOrg .Channel}}{{end}}</p>
{{if .Description}}<p id="channel-description">{{.Description}}</p>{{end}}
<h2>{{.T.CallNext}}</h2>
<ol>{{range .T.CallSteps}}<li>{{.}}</li>{{end}}</ol>
{{else}}{{if .Technician}}<p>{{if .Org}}{{printf .T.Intro .Technician .Org}}{{else}}{{printf .T.IntroNoOrg .Technician}}{{end}}</p>{{else}}<p>{{.T.SOSIntro}}</p>{{end}}
<ol>{{range .T.Steps}}<li>{{.}}</li>{{end}}</ol>{{end}}
<p>{{.T.Privacy}}</p>
{{if .NoBuilds}}<p class="problem" role="alert">{{.T.NoBuilds}}</p>{{else}}
{{with .Primary}}<p><a class="button" id="download" href="{{$.DownloadDir}}{{.File}}{{$.Query}}" download>{{printf $.T.Download .Label}}</a></p>
{{if eq .GOOS "windows"}}<p class="note" id="smartscreen">{{$.T.SmartScreen}}</p>{{end}}{{else}}<p>{{if .Missing}}{{printf .T.NotHere .Missing}}{{else}}{{.T.NoApp}}{{end}}</p>{{end}}
{{if .Others}}<h2>{{.T.OtherOS}}</h2><ul>{{range .Others}}<li><a href="{{$.DownloadDir}}{{.File}}{{$.Query}}" download>{{printf $.T.Download .Label}}</a></li>{{end}}</ul>{{end}}
{{if .Connection}}<p class="note" id="connection-help">{{.T.Connection}}</p>
<p><code id="connection" aria-describedby="connection-help">{{.Connection}}</code></p>{{end}}
{{end}}
{{if .Expires}}<p class="note">{{.T.Expires}} {{.Expires}}.</p>{{end}}
{{end}}{{end}}
</main>
<footer><p class="note">{{.T.Fingerprint}} <code>{{.Fingerprint}}</code></p></footer>
</body>
</html>
`))
