#!/bin/sh
# Runs a test program in private mount and network namespaces (unshare(1),
# as root) where the name resolver cannot reach the machine's DNS: the
# network has only its own loopback interface, /etc/resolv.conf names
# 127.0.0.1 (where the test binds UDP port 53 and never answers; the
# resolver waits 1 s per query), and /etc/hosts maps localhost to ::1 and
# 127.0.0.1. Nothing leaves the machine: the namespace has no other
# interface. Where namespaces cannot be made (not root, no unshare), prints
# the skip marker ctest looks for and exits 0.
#
#   run_isolated.sh <test program> [arguments...]   (tests/CMakeLists.txt)
set -u
if [ "$#" -lt 1 ]; then
  echo "usage: $0 <test program> [arguments...]" >&2
  exit 2
fi
skip() {
  echo "outlet-test-skipped: $*"
  exit 0
}
[ "$(id -u)" = 0 ] || skip "private mount and network namespaces need root (unshare --mount --net)"
command -v unshare >/dev/null 2>&1 || skip "no unshare(1) (util-linux)"
command -v ip >/dev/null 2>&1 || skip "no ip(8) (iproute2) to bring the namespace's loopback up"
unshare --mount --net true 2>/dev/null || skip "unshare --mount --net is not permitted here"

dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
printf '# outlet-test-resolver: a DNS server on 127.0.0.1 that never answers\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$dir/resolv.conf"
printf '::1 localhost\n127.0.0.1 localhost\n' >"$dir/hosts"

# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --net sh -c '
  dir=$1
  shift
  ip link set lo up || exit 1
  mount --bind "$dir/resolv.conf" /etc/resolv.conf || exit 1
  mount --bind "$dir/hosts" /etc/hosts || exit 1
  exec "$@"' sh "$dir" "$@"
