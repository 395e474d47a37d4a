#!/usr/bin/env bash
# The kqueue Poller back end, run on Linux over libkqueue (a userspace kqueue
# on epoll), as .ci/run does:
#
#   bash tests/kqueue/run_kqueue.sh <libkqueue tools dir> <build dir>
#
# <libkqueue tools dir> is ../shared/tools/libkqueue in CI: libkqueue's Linux
# sources (pinned) and the two patches that make it behave like FreeBSD and
# macOS where it differs (see that directory's README). This script builds
# libkqueue under <build dir>, configures outlet with OUTLET_TEST_LIBKQUEUE
# (every test and example of that build uses OUTLET_FORCE_KQUEUE), builds the
# Poller tests, test_threads and every example program, and runs them with
# their descriptor-leak runs and the example servers' integration tests.
# Nothing of libkqueue is copied into the project.
set -euo pipefail

if (( $# != 2 )); then
  echo "usage: $0 <libkqueue tools dir> <build dir>" >&2
  exit 2
fi
tools="$(cd "$1" && pwd)"
mkdir -p "$2"
build="$(cd "$2" && pwd)"
source_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

archive=("$tools"/libkqueue-*-linux.tar.gz)
if [[ ! -f "${archive[0]}" ]]; then
  echo "$0: no libkqueue-*-linux.tar.gz in $tools" >&2
  exit 1
fi

# libkqueue: unpacked afresh, patched, built and installed under the build dir.
rm -rf "$build/libkqueue-src" "$build/libkqueue-build" "$build/libkqueue"
mkdir -p "$build/libkqueue-src"
tar -xzf "${archive[0]}" -C "$build/libkqueue-src"
libkqueue_src="$(find "$build/libkqueue-src" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
(cd "$libkqueue_src" && patch -p1 --quiet < "$tools/bsd-modify.patch" && patch -p1 --quiet < "$tools/keep-so_error.patch")
cmake -S "$libkqueue_src" -B "$build/libkqueue-build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_INSTALL_PREFIX="$build/libkqueue" -DENABLE_TESTING=OFF > "$build/libkqueue-configure.log"
cmake --build "$build/libkqueue-build" > "$build/libkqueue-build.log"
cmake --install "$build/libkqueue-build" > "$build/libkqueue-install.log"
echo "libkqueue installed in $build/libkqueue"

# outlet with the kqueue back end.
cmake -S "$source_root" -B "$build/outlet" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DOUTLET_WARNINGS_AS_ERRORS=ON -DOUTLET_BUILD_TESTS=ON -DOUTLET_BUILD_EXAMPLES=ON \
  -DOUTLET_TEST_LIBKQUEUE="$build/libkqueue"
# Every example program (Ninja's per-directory target, so a new example is
# built here without a change to this list), the load generator and the
# Poller documentation's example that the examples' tests drive.
targets=(test_poller test_threads examples/all load_client poller_doc_example)
cmake --build "$build/outlet" --target "${targets[@]}"

# Every case of the two executables (each in its own process, then all in
# one for the leak check) and the example servers' integration tests.
ctest --test-dir "$build/outlet" -j2 --output-on-failure --no-tests=error \
  -R '^((leaks/)?(test_poller|test_threads)(/|$)|examples/)'
