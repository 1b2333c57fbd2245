#!/usr/bin/env bash
# Installs what the aarch64 cross build and its qemu test run need on Debian 12
# (amd64 host): the cross toolchain, qemu-user, and the arm64 libraries of the
# project's dependencies. Run as root (or it uses sudo). Idempotent.
#
# Some Debian 12 packages (libpthreadpool*, libxnnpack*, libcpuinfo-dev) are not
# Multi-Arch: same, so `apt-get install X:arm64` would REMOVE the amd64 package
# and break the native build. This script never lets apt remove anything: an
# arm64 package is installed with apt only when a simulation shows no removal;
# otherwise its .deb is downloaded and only its architecture-specific files
# (usr/lib/aarch64-linux-gnu: libraries and pkg-config files) are unpacked into
# place. The headers are the amd64 packages' (identical across architectures).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
LIBDIR=/usr/lib/aarch64-linux-gnu

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
fi
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends g++-aarch64-linux-gnu qemu-user

# Known not to be co-installable: always unpacked, never apt-installed
# (libgvc6: Graphviz's layout and rendering library, with its plugins;
# libgts-0.7-5: its arm64 and amd64 changelogs differ, so dpkg will not co-install them).
UNPACK="libpthreadpool0 libpthreadpool-dev libxnnpack0 libxnnpack-dev libcpuinfo-dev libgvc6 libgts-0.7-5"
# The rest of the build's arm64 libraries (graphviz: the cgraph part the
# diagram checker links, and what libgvc6 (unpacked) needs to load and render
# DOT to SVG; libgraphviz-dev itself drags in GTK and removes amd64 packages).
TRY_INSTALL="libc6 libstdc++6 libcpuinfo0 libflatbuffers-dev libmimalloc-dev libutf8proc-dev libpcre2-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcgraph6 libcdt5
  libpathplan4 libcairo2 libexpat1 libgd3 libglib2.0-0 libltdl7 libpango-1.0-0 libpangocairo-1.0-0
  libpangoft2-1.0-0 libwebp7 libx11-6"
# Unpacked for their libcgraph / libcdt / libgvc links and pkg-config files only.
UNPACK_DEV_ONLY="libgraphviz-dev"

installed_arm64() { dpkg-query -W -f='${Status}' "$1:arm64" 2>/dev/null | grep -q "install ok installed"; }

for pkg in $TRY_INSTALL; do
  if installed_arm64 "$pkg"; then continue; fi
  if $SUDO apt-get -s install -y --no-install-recommends "$pkg:arm64" | grep -q '^Remv'; then
    echo "install-cross-deps: $pkg:arm64 would remove packages; unpacking it instead"
    UNPACK="$UNPACK $pkg"
  else
    $SUDO apt-get install -y --no-install-recommends "$pkg:arm64"
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if id _apt >/dev/null 2>&1; then $SUDO chown _apt "$work"; fi  # apt-get download writes as _apt
unpack() {  # unpack PKG:arm64's files under usr/lib/aarch64-linux-gnu into $LIBDIR; $2 = pattern of files to keep
  local pkg=$1 keep=$2
  (cd "$work" && apt-get download "$pkg:arm64" >/dev/null)
  local deb
  deb=$(ls "$work"/"${pkg}"_*_arm64.deb)
  mkdir -p "$work/$pkg"
  dpkg-deb -x "$deb" "$work/$pkg"
  local src="$work/$pkg$LIBDIR"
  [ -d "$src" ] || return 0
  (cd "$src" && find . \( -type f -o -type l \) | grep -E "$keep" || true) | while read -r f; do
    $SUDO mkdir -p "$LIBDIR/$(dirname "$f")"
    $SUDO cp -a "$src/$f" "$LIBDIR/$f"
  done
}
for pkg in $UNPACK; do unpack "$pkg" '\.so(\.[0-9.]+)?$|\.a$|pkgconfig/.*\.pc$'; done
for pkg in $UNPACK_DEV_ONLY; do unpack "$pkg" '/lib(cgraph|cdt|gvc)\.so$|pkgconfig/lib(cgraph|cdt|gvc)\.pc$'; done
# libgvc6's postinst writes the plugin list (config6a) natively; unpacked, it
# has none, and gvContext() would find no renderer. The list is text naming
# plugins and formats, the same for both architectures: the amd64 one serves.
GV=graphviz/config6a
if [ ! -e "$LIBDIR/$GV" ] && [ -e "/usr/lib/x86_64-linux-gnu/$GV" ]; then
  $SUDO cp "/usr/lib/x86_64-linux-gnu/$GV" "$LIBDIR/$GV"
fi

# A -dev package's unversioned link, where the unpacked files lack one.
for lib in pthreadpool XNNPACK cpuinfo; do
  if [ ! -e "$LIBDIR/lib$lib.so" ]; then
    versioned=$(cd "$LIBDIR" && ls "lib$lib".so.* 2>/dev/null | sort | head -1 || true)
    if [ -n "$versioned" ]; then $SUDO ln -sf "$versioned" "$LIBDIR/lib$lib.so"; fi
  fi
done

# The native -dev packages must still be there.
for pkg in libpthreadpool-dev libcpuinfo-dev libxnnpack-dev libgraphviz-dev; do
  if ! dpkg-query -W -f='${Status}' "$pkg:amd64" 2>/dev/null | grep -q "install ok installed"; then
    echo "install-cross-deps: error: $pkg:amd64 is not installed (the native build needs it)" >&2
    exit 1
  fi
done
echo "install-cross-deps: arm64 libraries in $LIBDIR ready"
