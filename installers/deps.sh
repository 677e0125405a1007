#!/usr/bin/env bash
# Installs the Debian packages that building and testing RelayDesk need, only
# when something is missing. Safe to run again and again.
set -euo pipefail

# Build: the agent and console are cgo programs (libvpx VP8 with libyuv
# colour conversion; X11 and XTest for input; Fyne for the SOS window); the
# relay needs none of it.
# cgo compiles with clang (see the Makefile: GCC takes minutes over Fyne's
# OpenGL package); the Go toolchain itself needs gcc's libc headers.
build_pkgs=(clang gcc libc6-dev pkg-config libvpx-dev libyuv-dev libx11-dev libxtst-dev
	# Fyne (GLFW) for the SOS window
	libgl-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev)
# Tests: an X server for capture and input tests, and tools to check it.
# Debian's Chromium for the download page's browser tests.
# ffmpeg (ffprobe) checks the relay's session recordings (WebM, VP8).
test_pkgs=(xvfb x11-utils x11-xserver-utils xdotool xterm xclip chromium ffmpeg)

# Windows: the SOS app cross-built with mingw (libvpx and libyuv built
# statically from Debian's sources by installers/winlibs.sh: nasm,
# dpkg-source), signed with osslsigncode, tested under Wine.
windows_pkgs=(gcc-mingw-w64-x86-64 g++-mingw-w64-x86-64 nasm dpkg-dev osslsigncode wine wine64)

want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${windows_pkgs[@]}")
missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
