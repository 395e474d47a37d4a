#!/usr/bin/env bash
# Runs outlet's test executables under valgrind memcheck (issue #7): every
# case of an executable in one process, a few executables at once, each with
# a hard time limit; prints per executable the cases run, valgrind's errors
# and the time, and exits non-zero if any executable had a memcheck error, a
# failed case, a descriptor leak (test_main.cpp's check runs under valgrind
# too) or ran out of time.
#
#   tests/memcheck/run_memcheck.sh [options] BUILD_DIR [EXECUTABLE...]
#
# BUILD_DIR is a configured build of the tests: the `test` preset's
# build/test (RelWithDebInfo), or, with --configure, a directory for the
# script's own Debug build of the tests alone. EXECUTABLEs are names such as
# test_socket; the default is every executable that ctest runs whole as
# leaks/<name> (tests/CMakeLists.txt).
#
# Options:
#   --configure     first configure BUILD_DIR as a Debug build of the tests
#                   (no examples, Ninja if it is installed)
#   --no-build      do not build the test executables first
#   -j N            executables under valgrind at once (default 2)
#   --timeout S     seconds one executable may take under valgrind (default 300;
#                   on a 2-core machine the slowest takes about 10 s from the
#                   `test` preset's build, 45 s from the Debug build)
#   --log-dir DIR   where the logs go (default BUILD_DIR/memcheck); per
#                   executable: NAME.out (its output), NAME.vg.PID (valgrind's
#                   log, one per process: forked children get their own)
#   -- ARGS...      the rest is passed to every executable (Catch2 test specs)
#
# Valgrind's options and why:
#   --error-exitcode=99            a memcheck error fails the executable
#   --leak-check=full --errors-for-leak-kinds=definite,indirect
#   --show-leak-kinds=definite,indirect
#                                  memory that nothing points to at exit is an
#                                  error; "still reachable" (statics) is not
#   --track-fds=no                 test_main.cpp counts descriptors per case and
#                                  for the run, which is finer; valgrind 3.19
#                                  would only list at exit what is open, the
#                                  descriptors inherited from ctest included,
#                                  without failing anything
#   --gen-suppressions=all         each error comes with the suppression that
#                                  would hide it, for triage
#   --suppressions=outlet.supp     each entry with its reason (none so far)
#   --child-silent-after-fork=no   a forked child (test_server_socket) is checked
#                                  too, into its own log
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"

usage() {
  sed -n '/^#   tests\/memcheck/,/^#   -- ARGS/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

configure=0
build=1
jobs=2
time_limit=300
log_dir=""
build_dir=""
executables=()
test_args=()
while (($#)); do
  case "$1" in
    --configure) configure=1 ;;
    --no-build) build=0 ;;
    -j) jobs="${2:?-j needs a number}"; shift ;;
    -j*) jobs="${1#-j}" ;;
    --timeout) time_limit="${2:?--timeout needs seconds}"; shift ;;
    --log-dir) log_dir="${2:?--log-dir needs a directory}"; shift ;;
    -h|--help) usage ;;
    --) shift; test_args=("$@"); break ;;
    -*) echo "run_memcheck.sh: unknown option $1" >&2; usage ;;
    *)
      if [[ -z "$build_dir" ]]; then build_dir="$1"; else executables+=("$1"); fi
      ;;
  esac
  shift
done
[[ -n "$build_dir" ]] || usage
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { echo "run_memcheck.sh: -j wants a positive number" >&2; exit 2; }
[[ "$time_limit" =~ ^[1-9][0-9]*$ ]] || { echo "run_memcheck.sh: --timeout wants seconds" >&2; exit 2; }

if ! command -v valgrind >/dev/null; then
  echo "run_memcheck.sh: valgrind is not installed (Debian: apt-get install -y valgrind)" >&2
  exit 2
fi

if ((configure)); then
  generator=()
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  cmake -S "$source_dir" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug \
    -DOUTLET_BUILD_TESTS=ON -DOUTLET_BUILD_EXAMPLES=OFF -DOUTLET_INSTALL=OFF
fi
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  echo "run_memcheck.sh: $build_dir is not a configured build (use --configure for a Debug build of its own)" >&2
  exit 2
fi
build_dir="$(cd "$build_dir" && pwd)"
log_dir="${log_dir:-$build_dir/memcheck}"

# Build first: ctest lists a test whose executable is missing without its path.
if ((build)); then
  if ((${#executables[@]})); then
    cmake --build "$build_dir" --target "${executables[@]}"
  else
    cmake --build "$build_dir"
  fi
fi

# The executables ctest runs whole (leaks/<name>), with their paths.
declare -A path_of=()
all_names=()
while IFS= read -r line; do
  command_path="${line#*Test command: }"
  command_path="${command_path//\"/}"
  if [[ -z "$command_path" ]]; then
    echo "run_memcheck.sh: ctest lists a leaks/ test whose executable is not built (drop --no-build?)" >&2
    exit 2
  fi
  name="$(basename "$command_path")"
  path_of["$name"]="$command_path"
  all_names+=("$name")
done < <(ctest --test-dir "$build_dir" -N -V -L '^leaks$' | grep -E '^[0-9]+: Test command: ' || true)
if ((${#all_names[@]} == 0)); then
  echo "run_memcheck.sh: ctest in $build_dir lists no leaks/ test (is it a build with OUTLET_BUILD_TESTS?)" >&2
  exit 2
fi
if ((${#executables[@]} == 0)); then executables=("${all_names[@]}"); fi
for name in "${executables[@]}"; do
  if [[ -z "${path_of[$name]+set}" ]]; then
    echo "run_memcheck.sh: no test executable '$name' in $build_dir (there are: ${all_names[*]})" >&2
    exit 2
  fi
done

# Cases that cannot run under valgrind, per executable, each with its reason:
# Catch2 test specs added to the command line (so ANDed with any given).
declare -A exclude=(
  # valgrind does not pass setrlimit(RLIMIT_NOFILE) to the kernel, it
  # emulates the soft limit: its accept() wrapper lets the kernel accept the
  # queued connection, then closes the new descriptor and reports EMFILE. The
  # case's waiting client is gone, and its next blocking accept() waits
  # forever. (The other [rlimit] case runs: socket() and dup() fail cleanly.)
  [test_faults]='~Fault: accept out of descriptors*'
)

suppressions="$here/outlet.supp"
# shellcheck disable=SC2054  # the commas are inside valgrind's option values
valgrind_args=(
  --tool=memcheck
  --error-exitcode=99
  --leak-check=full
  --errors-for-leak-kinds=definite,indirect
  --show-leak-kinds=definite,indirect
  --track-fds=no
  --gen-suppressions=all
  --child-silent-after-fork=no
  --num-callers=40
  --suppressions="$suppressions"
)

mkdir -p "$log_dir"
rm -f "$log_dir"/*.out "$log_dir"/*.vg.* "$log_dir"/*.result

# Whether a valgrind log holds nothing but the start-up banner ("Memcheck,
# a memory error detector" ... "Parent PID: N", then a bare "==PID==" line):
# what a forked child that called exec leaves behind.
exec_only_log() {
  local body
  body=$(grep -v -E '^==[0-9]+== (Memcheck, a memory error detector|Copyright \(C\)|Using Valgrind-|Command: |Parent PID: |$)' "$1" | grep -c -v -E '^==[0-9]+==$' || true)
  [[ "$body" == 0 ]] && grep -q '^==[0-9]*== Parent PID: ' "$1"
}

# Runs one executable under valgrind; writes NAME.result:
# "status exit_code seconds cases errors".
run_one() {
  local name="$1" exe="${path_of[$1]}"
  local out="$log_dir/$name.out" start end code=0 cases errors status
  local args=("${test_args[@]}")
  if [[ -n "${exclude[$name]+set}" ]]; then args+=("${exclude[$name]}"); fi
  start=$(date +%s)
  timeout --kill-after=30 "$time_limit" \
    valgrind "${valgrind_args[@]}" --log-file="$log_dir/$name.vg.%p" \
    "$exe" "${args[@]}" >"$out" 2>&1 </dev/null || code=$?
  end=$(date +%s)

  # Cases: Catch2's closing lines, "All tests passed (N assertions in M test
  # cases)" or "test cases: M | ...".
  cases=$(sed -n -e 's/^All tests passed ([0-9]* assertions\{0,1\} in \([0-9]*\) test cases\{0,1\}).*/\1/p' \
                 -e 's/^test cases: *\([0-9]*\) .*/\1/p' "$out" | tail -n 1)
  cases="${cases:-?}"
  # Errors: valgrind's ERROR SUMMARY, summed over the processes (a forked
  # child writes its own log).
  errors=0
  local vg summary
  for vg in "$log_dir/$name".vg.*; do
    [[ -e "$vg" ]] || continue
    summary=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$vg" | tail -n 1)
    # A forked child that went on to exec another program (test_tls starts
    # openssl and python3 peers) leaves a log that stops after valgrind's
    # banner: valgrind does not follow it past exec (--trace-children=no), so
    # there is no summary and nothing to count. Anything more than the banner
    # without a summary (a crash, a kill after reporting) stays unknown.
    if [[ -z "$summary" ]] && exec_only_log "$vg"; then continue; fi
    if [[ -z "$summary" ]]; then errors="?"; break; fi
    errors=$((errors + summary))
  done

  if ((code == 124 || code == 137)); then
    status="TIMEOUT"
  elif ((code == 99)) || [[ "$errors" != "0" ]]; then
    status="MEMCHECK-ERRORS"
  elif grep -q '^outlet leak check: FAILED' "$out"; then
    status="FD-LEAK"
  elif ((code != 0)); then
    status="TEST-FAILED"
  else
    status="ok"
  fi
  echo "$status $code $((end - start)) $cases $errors" >"$log_dir/$name.result"
  printf '  %-26s %-16s cases %-4s errors %-4s %5ss (exit %s)\n' \
    "$name" "$status" "$cases" "$errors" "$((end - start))" "$code"
}

echo "memcheck: ${#executables[@]} executable(s) from $build_dir, $jobs at once," \
  "at most ${time_limit}s each; logs in $log_dir"
for name in "${executables[@]}"; do
  [[ -n "${exclude[$name]+set}" ]] || continue
  spec="${exclude[$name]}"
  # An exclusion that no longer names a case (renamed?) is worth knowing about.
  listed="$("${path_of[$name]}" --list-test-names-only "${spec#\~}" 2>/dev/null || true)"
  if [[ -n "$listed" ]]; then
    echo "memcheck: $name: leaving out ${spec#\~} (cannot run under valgrind; run_memcheck.sh says why)"
  else
    echo "memcheck: warning: $name has no case '${spec#\~}' to leave out; update run_memcheck.sh" >&2
  fi
done
run_start=$(date +%s)
running=0
for name in "${executables[@]}"; do
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
  run_one "$name" &
  running=$((running + 1))
done
wait || true
run_end=$(date +%s)

failed=()
total_cases=0
total_errors=0
for name in "${executables[@]}"; do
  status="NO-RESULT" cases="?" errors="?"
  if [[ -f "$log_dir/$name.result" ]]; then read -r status _ _ cases errors <"$log_dir/$name.result"; fi
  [[ "$cases" =~ ^[0-9]+$ ]] && total_cases=$((total_cases + cases))
  [[ "$errors" =~ ^[0-9]+$ ]] && total_errors=$((total_errors + errors))
  [[ "$status" == ok ]] || failed+=("$name ($status)")
done

echo "memcheck: ${#executables[@]} executable(s), $total_cases case(s), $total_errors memcheck error(s)," \
  "$((run_end - run_start))s wall time"
if ((${#failed[@]})); then
  echo "memcheck: FAILED: ${failed[*]}" >&2
  echo "memcheck: see $log_dir/NAME.out (the test output) and NAME.vg.PID (valgrind's log," \
    "with a suppression per error)" >&2
  exit 1
fi
echo "memcheck: all clean"
