#!/usr/bin/env bash
# Runs a Windows build of RelayDesk under Wine on this machine:
#
#   installers/wine.sh bin/downloads/sos-windows-amd64.exe --no-gui
#   DISPLAY=:99 installers/wine.sh bin/console-windows-amd64.exe
#
# The first run prepares a 64-bit Wine prefix (in the cache directory, not
# in your home's .wine) with the bcryptprimitives.dll stub that Go programs
# need under Wine 8 (installers/processprng.c, built with mingw: ProcessPrng,
# and a WSAIoctl that accepts SIO_UDP_NETRESET, without which Go opens no UDP
# socket there); later runs reuse it. DISPLAY is passed through: the program's windows, and what it
# captures, are those of that X display. WINEPREFIX overrides the prefix.
set -euo pipefail

if [ $# -lt 1 ]; then
	echo "usage: $0 PROGRAM.exe [ARGS...]" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
cache=${RELAYDESK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relaydesk}
export WINEPREFIX=${WINEPREFIX:-$cache/wine64}
export WINEARCH=win64
# No Mono or Gecko download prompts, no debug chatter on the program's output.
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
export WINEDEBUG=${WINEDEBUG:--all}

for tool in wine wineboot wineserver x86_64-w64-mingw32-gcc; do
	if ! command -v "$tool" >/dev/null; then
		echo "wine.sh: $tool is missing; run installers/deps.sh first" >&2
		exit 1
	fi
done

stub="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
# The prefix is ready when it has the stub built from this processprng.c
# (by content: a fresh checkout's file times say nothing).
want=$(sha256sum "$here/processprng.c" | cut -d' ' -f1)
if [ "$(cat "$WINEPREFIX/.relaydesk-ready" 2>/dev/null)" != "$want" ] || [ ! -f "$stub" ]; then
	echo "wine.sh: preparing the Wine prefix $WINEPREFIX (once)" >&2
	mkdir -p "$WINEPREFIX"
	# wineboot needs no display; keep its dialogs off the caller's one.
	DISPLAY= wineboot --init >/dev/null 2>&1 || true
	wineserver --wait
	if [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
		echo "wine.sh: wineboot did not create the prefix $WINEPREFIX" >&2
		exit 1
	fi
	x86_64-w64-mingw32-gcc -O2 -Wall -shared -s -o "$stub.tmp" "$here/processprng.c" -ladvapi32
	mv "$stub.tmp" "$stub"
	echo "$want" >"$WINEPREFIX/.relaydesk-ready"
fi

exec wine "$@"
