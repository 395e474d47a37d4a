#!/bin/sh
# outlet: run a Windows program under Wine, headless, for ctest.
#
#   wine-run.sh <wineprefix> <program.exe> [args...]
#
# CMAKE_CROSSCOMPILING_EMULATOR in mingw-w64.cmake. The first call creates
# the prefix (about 10 s) and starts a wineserver that lingers 60 s after
# the last Wine program exits, with every standard stream detached: a
# wineserver or Wine service started by a test itself would inherit ctest's
# output pipe and ctest would wait for it. `wineserver -k` (with
# WINEPREFIX set) stops it at once.
#
# OUTLET_WINE and OUTLET_WINESERVER override Debian's paths.
set -eu

if [ "$#" -lt 2 ]; then
  echo "usage: $0 <wineprefix> <program.exe> [args...]" >&2
  exit 2
fi
case $1 in
  /*) WINEPREFIX=$1 ;;
  *) WINEPREFIX=$PWD/$1 ;;  # Wine wants an absolute path
esac
shift
export WINEPREFIX
export WINEDEBUG="${WINEDEBUG:--all}"
wine=${OUTLET_WINE:-/usr/lib/wine/wine64}
wineserver=${OUTLET_WINESERVER:-/usr/lib/wine/wineserver}

for tool in "$wine" "$wineserver"; do
  if [ ! -x "$tool" ]; then
    echo "$0: $tool not found (Debian: apt-get install --no-install-recommends wine64)" >&2
    exit 127
  fi
done

mkdir -p "$WINEPREFIX"
# One caller at a time starts the server and boots the prefix; ctest runs
# tests in parallel. wineserver exits 0 when it started, 2 when one is
# already running for this prefix.
(
  flock 9
  # 9>&-: the server and Wine's services outlive this script and must not
  # hold the lock.
  if "$wineserver" -p60 </dev/null >/dev/null 2>&1 9>&-; then
    "$wine" wineboot </dev/null >/dev/null 2>&1 9>&-
  fi
) 9>"$WINEPREFIX/.outlet-wine-lock"

exec "$wine" "$@"
