#!/usr/bin/env bash
# Registers the console as the handler of sosconsole:// links for the
# current user, so an ITSM tool can open a session from a ticket with
# sosconsole://connect/CODE. Usage: installers/register-url-scheme.sh [PATH-TO-console]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
console=$(realpath "${1:-$here/../bin/console}")
[ -x "$console" ] || { echo "No console program at $console; run make build first." >&2; exit 1; }
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
mkdir -p "$apps"
sed "s|^Exec=console |Exec=$console |" "$here/relaydesk-console.desktop" > "$apps/relaydesk-console.desktop"
if command -v update-desktop-database >/dev/null; then update-desktop-database "$apps" || true; fi
if command -v xdg-mime >/dev/null; then
	xdg-mime default relaydesk-console.desktop x-scheme-handler/sosconsole
else
	# Without xdg-utils, write the association the way xdg-mime does.
	cfg="${XDG_CONFIG_HOME:-$HOME/.config}"
	mkdir -p "$cfg"
	touch "$cfg/mimeapps.list"
	grep -q '^\[Default Applications\]' "$cfg/mimeapps.list" || printf '[Default Applications]\n' >> "$cfg/mimeapps.list"
	sed -i '/^x-scheme-handler\/sosconsole=/d' "$cfg/mimeapps.list"
	sed -i 's|^\[Default Applications\]$|[Default Applications]\nx-scheme-handler/sosconsole=relaydesk-console.desktop|' "$cfg/mimeapps.list"
fi
echo "sosconsole:// links now open $console."
