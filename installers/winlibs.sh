#!/usr/bin/env bash
# Builds the static libraries the Windows SOS app links (libvpx for VP8,
# libyuv for colour conversion) with mingw-w64, from Debian's source
# packages at pinned versions, and installs them under a cache directory
# outside the repository, so CI and later builds reuse them. Prints the
# prefix (include/, lib/, lib/pkgconfig/) on standard output.
#
#   installers/winlibs.sh            # build once, then print the cached prefix
#   RELAYDESK_CACHE=/some/dir installers/winlibs.sh
#
# Needs gcc-mingw-w64-x86-64, g++-mingw-w64-x86-64, nasm and dpkg-dev
# (installers/deps.sh installs them). Debian's sources are fetched through
# apt with a private source list: the machine's apt configuration is left
# as it is.
set -euo pipefail

# Pinned source versions (Debian 12; libvpx carries its security fixes).
VPX_VERSION=${VPX_VERSION:-1.12.0-1+deb12u5}
YUV_VERSION=${YUV_VERSION:-0.0~git20230123.b2528b0-1}
CROSS=x86_64-w64-mingw32

cache=${RELAYDESK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/relaydesk}
prefix="$cache/win64-vpx_${VPX_VERSION}-yuv_${YUV_VERSION}"
prefix=${prefix//\~/_}
prefix=${prefix//+/_}
if [ -f "$prefix/.done" ]; then
	echo "$prefix"
	exit 0
fi

for tool in "$CROSS-gcc" "$CROSS-g++" nasm dpkg-source; do
	if ! command -v "$tool" >/dev/null; then
		echo "winlibs: $tool is missing; run installers/deps.sh first" >&2
		exit 1
	fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log="$work/build.log"
step() { echo "winlibs: $*" >&2; }
fail() {
	echo "winlibs: $1 failed; the last lines of its log:" >&2
	tail -n 30 "$log" >&2
	exit 1
}

# Debian's deb-src entries for the suites the machine already uses, in a
# private apt state directory.
mkdir -p "$work/apt/lists/partial" "$work/src"
src="$work/apt/sources.list"
cat >"$src" <<LIST
deb-src http://deb.debian.org/debian bookworm main
deb-src http://deb.debian.org/debian-security bookworm-security main
LIST
apt_opts=(-o "Dir::Etc::SourceList=$src" -o "Dir::Etc::SourceParts=$work/apt/none"
	-o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache" -o "APT::Sandbox::User=root")
mkdir -p "$work/apt/none" "$work/apt/cache/archives/partial"
step "fetching Debian's source of libvpx $VPX_VERSION and libyuv $YUV_VERSION"
apt-get "${apt_opts[@]}" -qq update >"$log" 2>&1 || fail "apt-get update (deb-src)"
(cd "$work/src" && apt-get "${apt_opts[@]}" -qq source "libvpx=$VPX_VERSION" "libyuv=$YUV_VERSION") >>"$log" 2>&1 ||
	fail "apt-get source"

jobs=$(nproc)
# libvpx's configure takes CC from the environment before $CROSS-gcc (the
# Makefile exports clang for cgo).
unset CC CXX
mkdir -p "$prefix.tmp/lib" "$prefix.tmp/include"

step "building libvpx (VP8 only, static) with mingw"
vpxdir=$(find "$work/src" -maxdepth 1 -type d -name 'libvpx-*' | head -n1)
mkdir -p "$work/vpx-build"
(
	cd "$work/vpx-build"
	CROSS="$CROSS-" "$vpxdir/configure" --target=x86_64-win64-gcc --prefix="$prefix.tmp" \
		--enable-static --disable-shared --enable-vp8 --disable-vp9 \
		--disable-examples --disable-tools --disable-docs --disable-unit-tests \
		--enable-realtime-only --as=nasm
	make -j"$jobs"
	make install
) >>"$log" 2>&1 || fail "libvpx build"

step "building libyuv (static) with mingw"
yuvdir=$(find "$work/src" -maxdepth 1 -type d -name 'libyuv-*' | head -n1)
mkdir -p "$work/yuv-build"
(
	cd "$work/yuv-build"
	ls "$yuvdir"/source/*.cc | xargs -P "$jobs" -I{} sh -c \
		"$CROSS-g++ -O2 -fno-exceptions -fno-rtti -I'$yuvdir/include' -c '{}' -o \"\$(basename '{}' .cc).o\""
	"$CROSS-ar" rcs "$prefix.tmp/lib/libyuv.a" ./*.o
	cp -r "$yuvdir/include/." "$prefix.tmp/include/"
) >>"$log" 2>&1 || fail "libyuv build"

rm -rf "$prefix"
mv "$prefix.tmp" "$prefix"
# vpx.pc names the build prefix; point it at the final one.
sed -i "s|$prefix.tmp|$prefix|g" "$prefix/lib/pkgconfig/vpx.pc"
touch "$prefix/.done"
step "done: $prefix"
echo "$prefix"
