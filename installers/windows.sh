#!/usr/bin/env bash
# Cross-builds a RelayDesk program for Windows (amd64) with mingw-w64: one
# .exe with libvpx, libyuv and the C runtime linked in statically, so it
# runs from the Downloads folder with no DLLs beside it and no installer.
#
#   installers/windows.sh sos OUT.exe [LDFLAGS]       # the SOS app (agent/cmd/sos)
#   installers/windows.sh console OUT.exe [LDFLAGS]   # the technician console
#
# The static libraries come from installers/winlibs.sh (built once, cached).
# Needs clang and mingw-w64 (installers/deps.sh installs them).
set -euo pipefail

what=${1:?usage: $0 sos|console OUT.exe [LDFLAGS]}
out=${2:?usage: $0 sos|console OUT.exe [LDFLAGS]}
ldflags=${3:-}
case "$what" in
sos) pkg=./agent/cmd/sos ;;
console) pkg=./console/cmd/console ;;
*)
	echo "windows.sh: unknown program $what (sos or console)" >&2
	exit 2
	;;
esac
here=$(cd "$(dirname "$0")" && pwd)
prefix=$("$here/winlibs.sh")

cd "$here/.."
export CGO_ENABLED=1 GOOS=windows GOARCH=amd64
# C compiles with clang for the mingw-w64 target (its headers and
# libraries): GCC spends minutes on cgo's probes of Fyne's OpenGL package
# (see the Makefile). mingw's GCC links: Go's linker would pass clang's
# driver flags that mingw's ld does not take.
export CC="clang --target=x86_64-w64-mingw32" CXX="clang++ --target=x86_64-w64-mingw32"
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" PKG_CONFIG_PATH=
export CGO_CFLAGS="-O2 -I$prefix/include" CGO_LDFLAGS="-L$prefix/lib"
# -H windowsgui: no console window behind the app's own when it is
# double-clicked; the program attaches to its parent's console for
# --no-gui and the command-line modes. libvpx's threads need winpthread,
# which the external linker must see after -lvpx: -extldflags.
mkdir -p "$(dirname "$out")"
go build -trimpath -ldflags "$ldflags -H windowsgui -extld=x86_64-w64-mingw32-gcc -extldflags '-static -lpthread'" -o "$out.tmp" "$pkg"
mv "$out.tmp" "$out"
echo "windows.sh: built $out ($(du -h "$out" | cut -f1))" >&2
