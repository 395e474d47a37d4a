#!/usr/bin/env python3
"""Instructions and system calls per operation: plain BSD calls, outlet, Asio.

Each workload of compare_bench (tcp4, tcp6, unix, udp, udp-server, bulk,
accept) is counted two ways, for each implementation:

  client only: one untraced peer (`compare_bench peer --workload W`, the
      plain server side, in another process) serves the client side of the
      implementation (`compare_bench client --impl I --workload W --peer ADDR
      --iterations N`); only the client process is counted.
  both ends: `compare_bench pair --impl I --workload W --iterations N` runs
      the implementation's server on a thread and its client on the main
      thread of one process, and the whole process is counted: what a
      program that is both ends (or a server and its clients) pays.

Each figure takes four runs at least:

  - under `valgrind --tool=callgrind`, for N1 and then N2 operations, taking
    the total instructions executed (Ir, all threads) from each;
  - under `strace -c -f`, for N1 and N2 operations, taking the number of
    calls of each system call (all threads).

Start-up and shut-down cost the same for N1 and N2, so the figures per
operation are differences: (Ir(N2) - Ir(N1)) / (N2 - N1), and the same for
each system call. Instructions are counted in user space only (callgrind
does not see the kernel's work). They do not depend on the machine's load:
run twice, they agree to a few instructions per operation (--repeat checks).
Both ends, where two threads' timing can add work, a few runs more: strace
twice or more per N, bulk's callgrind three times per N, and the least count
taken (see STRACE_RUNS_MAX and LEAST_OF below). Figures are independent (a
client-only figure has a peer of its own), so --jobs of them run at once.

Prints one row per workload and implementation (instructions per operation
and ratio to plain, system calls per operation, client only and both ends)
and says whether each implementation makes the SAME system calls per
operation as plain or DIFFERENT ones. Writes it all as JSON. Linux only.
Exit status 0 when every run succeeded; 1 otherwise.
"""

import argparse
import concurrent.futures
import json
import os
import platform
import re
import select
import subprocess
import sys
import tempfile
import time

WORKLOADS = ("tcp4", "tcp6", "unix", "udp", "udp-server", "bulk", "accept")
IMPLEMENTATIONS = ("plain", "outlet", "asio")
MODES = ("client", "both")
# Operations per run (N1, N2). A bulk operation is one 64 KiB send_all.
ITERATIONS = {"tcp4": (2000, 4000), "tcp6": (2000, 4000), "unix": (2000, 4000), "udp": (2000, 4000),
              "udp-server": (2000, 4000), "bulk": (200, 400), "accept": (500, 1000)}
QUICK_ITERATIONS = {"tcp4": (500, 1000), "tcp6": (500, 1000), "unix": (500, 1000), "udp": (500, 1000),
                    "udp-server": (500, 1000), "bulk": (50, 100), "accept": (200, 400)}
# Both ends, bulk: the server reads whatever has arrived, and valgrind lets
# the other thread run while one is in a system call, so now and then a burst
# of partial reads adds a few thousand instructions to one run (over 400/800
# chunks: 237 instructions per chunk in most runs, 258 in one). So more
# chunks, and each N counted LEAST_OF times, the least Ir taken: the extra
# reads only ever add.
BOTH_ENDS_ITERATIONS = {"bulk": (800, 1600)}
QUICK_BOTH_ENDS_ITERATIONS = {"bulk": (400, 800)}
LEAST_OF = {"bulk": 3}
# SAME system calls as plain: every name's calls per operation within this of
# plain's (a wrapper's extra call shows up as 1 per operation, or 1 in a few).
SYSCALL_TOLERANCE = 0.1
# Both ends, strace runs per N: at first 2; if a call's count differs between
# them by more than STRACE_NOISE, up to STRACE_RUNS_MAX runs. Either way the
# least count of each call is taken. Two threads ending give a futex or a
# madvise call more in some runs than in others (STRACE_NOISE); and the bulk
# server reads whatever has arrived, so now and then, under strace, a burst
# of partial reads adds tens or hundreds of recv calls to one run (seen: 1,003
# in one run of 1,000 chunks, 1,378 in the next). Extra calls only ever add.
STRACE_NOISE = 2
STRACE_RUNS_MAX = 5
PEER_TIMEOUT_S = 10.0  # for the peer's first line, and for it to exit once its stdin is closed


class Failure(Exception):
    """A run that did not complete, or counts that did not repeat."""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default="build/bench",
                   help="CMake build tree holding bench/compare_bench (default: %(default)s)")
    p.add_argument("--compare-bench", help="the program (default: <build-dir>/bench/compare_bench)")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated (default: %(default)s)")
    p.add_argument("--impls", default=",".join(IMPLEMENTATIONS), help="comma-separated (default: %(default)s)")
    p.add_argument("--modes", default=",".join(MODES),
                   help="client (the client process alone), both (both ends in one process), or both of them, "
                        "comma-separated (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="a quarter of the operations (the figures barely move)")
    p.add_argument("--repeat", type=int, default=1,
                   help="count every figure this many times and fail if the instructions per operation differ "
                        "by more than --tolerance (default: %(default)s)")
    p.add_argument("--tolerance", type=float, default=5.0,
                   help="instructions per operation that repeated counts may differ by (default: %(default)s)")
    p.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4),
                   help="figures counted side by side, each by its own processes; the counts do not depend on it "
                        "(default: the CPUs, at most 4: %(default)s)")
    p.add_argument("--timeout-s", type=float, default=120, help="limit for each traced run (default: %(default)s)")
    p.add_argument("--max-seconds", type=float, default=600,
                   help="start no run after this many seconds; fail instead (default: %(default)s)")
    p.add_argument("--json", default="counts_results.json", help="output file (default: %(default)s)")
    args = p.parse_args()
    args.workloads = [w for w in args.workloads.split(",") if w]
    args.impls = [i for i in args.impls.split(",") if i]
    args.modes = [m for m in args.modes.split(",") if m]
    for w in args.workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r}; known: {', '.join(WORKLOADS)}")
    for i in args.impls:
        if i not in IMPLEMENTATIONS:
            p.error(f"unknown implementation {i!r}; known: {', '.join(IMPLEMENTATIONS)}")
    for m in args.modes:
        if m not in MODES:
            p.error(f"unknown mode {m!r}; known: {', '.join(MODES)}")
    if not args.workloads or not args.impls or not args.modes:
        p.error("nothing to count")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    args.compare_bench = args.compare_bench or os.path.join(args.build_dir, "bench", "compare_bench")
    if not os.access(args.compare_bench, os.X_OK):  # a failure like any other: exit status 1
        sys.exit(f"count: {args.compare_bench}: not an executable (build it first, or pass --compare-bench)")
    client = QUICK_ITERATIONS if args.quick else ITERATIONS
    both = {**client, **(QUICK_BOTH_ENDS_ITERATIONS if args.quick else BOTH_ENDS_ITERATIONS)}
    args.iterations = {"client": client, "both": both}
    return args


def tool_version(command):
    out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    return (out.stdout or out.stderr).splitlines()[0].strip()


# --- The peer (client-only mode) --------------------------------------------

def start_peer(args, workload):
    """Starts `compare_bench peer` and returns (process, address)."""
    peer = subprocess.Popen([args.compare_bench, "peer", "--workload", workload],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    fd, data = peer.stdout.fileno(), b""
    deadline = time.monotonic() + PEER_TIMEOUT_S
    try:
        while b"\n" not in data:
            ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                raise Failure(f"peer {workload}: no first line within {PEER_TIMEOUT_S:.0f} s; got {data!r}")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise Failure(f"peer {workload}: output closed before its first line; got {data!r}")
            data += chunk
        line = data.split(b"\n", 1)[0].decode(errors="replace")
        if not line.startswith("listening on "):
            raise Failure(f"peer {workload}: first line is not 'listening on <address>': {line!r}")
    except Failure:
        stop_peer(peer, check=False)
        raise
    return peer, line[len("listening on "):].strip()


def stop_peer(peer, check=True):
    """Closes the peer's stdin (its signal to stop) and waits for exit 0."""
    try:
        peer.stdin.close()
        peer.wait(timeout=PEER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        peer.kill()
        peer.wait()
        if check:
            raise Failure(f"peer did not exit within {PEER_TIMEOUT_S:.0f} s of EOF on its stdin") from None
    finally:
        err = peer.stderr.read().decode(errors="replace")[-2000:]
        peer.stdout.close()
        peer.stderr.close()
    if check and peer.returncode != 0:
        raise Failure(f"peer exited {peer.returncode}; stderr: {err!r}")


# --- One traced run ----------------------------------------------------------

def command_of(args, mode, impl, workload, address, n):
    if mode == "client":
        return [args.compare_bench, "client", "--impl", impl, "--workload", workload, "--peer", address,
                "--iterations", str(n)]
    return [args.compare_bench, "pair", "--impl", impl, "--workload", workload, "--iterations", str(n)]


def run_traced(args, prefix, command, n):
    """Runs the command under a tracer (prefix) for n operations."""
    command = prefix + command
    try:
        out = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=args.timeout_s)
    except subprocess.TimeoutExpired:
        raise Failure(f"{' '.join(command)}: still running after {args.timeout_s:.0f} s") from None
    if out.returncode != 0:
        raise Failure(f"{' '.join(command)} exited {out.returncode}; stderr: {out.stderr[-2000:]!r}")
    if f"ops={n}" not in out.stdout:
        raise Failure(f"{' '.join(command)}: no 'ops={n}' line; stdout: {out.stdout[-500:]!r}")


def instructions(args, command, n, path):
    """Total Ir of the process (all threads) for n operations, from callgrind's out file."""
    run_traced(args, ["valgrind", "--tool=callgrind", f"--callgrind-out-file={path}"], command, n)
    with open(path) as f:
        text = f.read()
    match = re.search(r"^totals:\s+(\d+)", text, re.M) or re.search(r"^summary:\s+(\d+)", text, re.M)
    if not match:
        raise Failure(f"{path}: no 'totals:' or 'summary:' line")
    return int(match.group(1))


def syscalls(args, command, n, path):
    """{name: (calls, errors)} of the process (all threads) for n operations, from strace -c."""
    run_traced(args, ["strace", "-c", "-f", "-o", path], command, n)
    counts = {}
    with open(path) as f:
        for line in f:
            fields = line.split()
            # "% time seconds usecs/call calls [errors] syscall"; skip the header, rules and total
            if len(fields) in (5, 6) and fields[3].isdigit() and fields[-1] != "total":
                counts[fields[-1]] = (int(fields[3]), int(fields[4]) if len(fields) == 6 else 0)
    if not counts:
        raise Failure(f"{path}: no system call table")
    return counts


def least_syscalls(args, command, n, path):
    """(counts, runs) of strace for n operations, both ends: the least count of each call over two runs
    that agree within STRACE_NOISE, or else over STRACE_RUNS_MAX runs. counts as syscalls() returns them."""
    runs = [syscalls(args, command, n, f"{path}.0"), syscalls(args, command, n, f"{path}.1")]
    names = set().union(*runs)
    if any(abs(runs[0].get(name, (0, 0))[0] - runs[1].get(name, (0, 0))[0]) > STRACE_NOISE for name in names):
        while len(runs) < STRACE_RUNS_MAX:
            runs.append(syscalls(args, command, n, f"{path}.{len(runs)}"))
        names = set().union(*runs)
    least = {name: tuple(min(r.get(name, (0, 0))[i] for r in runs) for i in (0, 1)) for name in names}
    return {name: c for name, c in least.items() if c != (0, 0)}, len(runs)


def per_op(a, b, n1, n2):
    return (b - a) / (n2 - n1)


def syscall_difference(c1, c2, n1, n2):
    """Calls (and failed calls) per operation, by name; names below 1 call in 100 operations are left out."""
    calls, errors = {}, {}
    for name in sorted(set(c1) | set(c2)):
        (k1, e1), (k2, e2) = c1.get(name, (0, 0)), c2.get(name, (0, 0))
        if abs(per_op(k1, k2, n1, n2)) >= 0.01:
            calls[name] = round(per_op(k1, k2, n1, n2), 3)
        if abs(per_op(e1, e2, n1, n2)) >= 0.01:
            errors[name] = round(per_op(e1, e2, n1, n2), 3)
    return calls, errors


def breakdown(calls):
    """'sendto 1, recvfrom 1', most frequent first."""
    items = sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{name} {value:g}" for name, value in items) or "-"


def count(args, mode, impl, workload, address, directory):
    """One figure: instructions and system calls per operation, counted --repeat times.

    The figures kept are the first count's; with --repeat, every count's
    instructions per operation is kept too, and they must agree within
    --tolerance."""
    n1, n2 = args.iterations[mode][workload]
    commands = [command_of(args, mode, impl, workload, address, n) for n in (n1, n2)]
    record, per_op_counts = None, []
    for k in range(args.repeat):
        base = os.path.join(directory, f"{mode}.{workload}.{impl}.{k}")
        runs = LEAST_OF.get(workload, 1) if mode == "both" else 1
        ir1, ir2 = (min(instructions(args, c, n, f"{base}.{n}.{j}.cg") for j in range(runs))
                    for c, n in zip(commands, (n1, n2)))
        per_op_counts.append(per_op(ir1, ir2, n1, n2))
        if record is not None:
            continue
        if mode == "client":  # one strace run each: the client's calls do not depend on timing
            (s1, r1), (s2, r2) = ((syscalls(args, c, n, f"{base}.{n}.st"), 1) for c, n in zip(commands, (n1, n2)))
        else:
            (s1, r1), (s2, r2) = (least_syscalls(args, c, n, f"{base}.{n}.st") for c, n in zip(commands, (n1, n2)))
        calls, errors = syscall_difference(s1, s2, n1, n2)
        record = {"n1": n1, "n2": n2, "callgrind_runs": runs, "instructions_n1": ir1, "instructions_n2": ir2,
                  "instructions_per_op": per_op(ir1, ir2, n1, n2), "syscalls_per_op": round(sum(calls.values()), 3),
                  "syscalls_by_name_per_op": calls, "failed_syscalls_by_name_per_op": errors,
                  "strace_runs": [r1, r2]}
    if args.repeat > 1:
        record["instructions_per_op_repeated"] = per_op_counts
        spread = max(per_op_counts) - min(per_op_counts)
        record["instructions_per_op_spread"] = spread
        if spread > args.tolerance:
            raise Failure(f"{mode} {impl}: instructions per operation did not repeat: "
                          f"{', '.join(f'{x:.1f}' for x in per_op_counts)} (tolerance {args.tolerance:g})")
    return record


def compare_to_plain(figures):
    """Adds the ratio to plain and SAME/DIFFERENT (within SYSCALL_TOLERANCE) to each figure of one mode,
    {impl: figure}."""
    plain = figures.get("plain")
    if plain is None:
        return
    for f in figures.values():
        f["ratio_instructions_to_plain"] = (f["instructions_per_op"] / plain["instructions_per_op"]
                                            if plain["instructions_per_op"] > 0 else None)
        mine, theirs = f["syscalls_by_name_per_op"], plain["syscalls_by_name_per_op"]
        same = all(abs(mine.get(k, 0) - theirs.get(k, 0)) <= SYSCALL_TOLERANCE for k in set(mine) | set(theirs))
        f["syscalls_vs_plain"] = "SAME" if same else "DIFFERENT"


def figure(args, workload, mode, impl, directory, deadline):
    """One implementation's figure for one workload in one mode. A client-only figure gets a peer of its
    own, so that figures can be counted side by side (--jobs)."""
    if time.monotonic() > deadline:
        raise Failure(f"counting exceeded --max-seconds {args.max_seconds:.0f}")
    try:
        if mode == "both":
            return count(args, mode, impl, workload, None, directory)
        peer, address = start_peer(args, workload)
        try:
            result = count(args, mode, impl, workload, address, directory)
        except BaseException:
            stop_peer(peer, check=False)
            raise
        stop_peer(peer)
        return result
    except Failure as e:
        raise Failure(f"{workload}: {e}") from None


def workload_records(args, workload, figures):
    """The records of one workload, one per implementation, from {mode: {impl: figure}}.

    A record holds the client-only figures at its top level (as count.py
    always wrote them) and the both-ends figures under "both_ends"."""
    for mode in args.modes:
        compare_to_plain(figures[mode])
    records = []
    for impl in args.impls:
        r = {"workload": workload, "implementation": impl}
        r.update(figures.get("client", {}).get(impl, {}))
        if impl in figures.get("both", {}):
            r["both_ends"] = figures["both"][impl]
        records.append(r)
    return records


# --- The table -----------------------------------------------------------------

def print_header():
    print(f"{'':<19}{' client only (plain peer) ':-^37}  {' both ends, one process ':-^37}")
    print(f"{'workload':<10} {'impl':<7} {'instr/op':>9} {'/plain':>6} {'sysc/op':>8} {'vs plain':>10}  "
          f"{'instr/op':>9} {'/plain':>6} {'sysc/op':>8} {'vs plain':>10}  system calls per operation, both ends")


def columns(f, impl):
    """instr/op, /plain, syscalls/op, SAME/DIFFERENT of one figure, or dashes."""
    if not f:
        return f"{'-':>9} {'-':>6} {'-':>8} {'-':>10}"
    ratio = f.get("ratio_instructions_to_plain")
    ratio = f"{ratio:.2f}" if ratio is not None else "-"
    same = "-" if impl == "plain" else f.get("syscalls_vs_plain", "-")
    # "*": the strace runs disagreed and the least counts were taken (see STRACE_RUNS_MAX)
    calls = ("*" if max(f.get("strace_runs", [1])) > 2 else "") + f"{round(f['syscalls_per_op'], 2):g}"
    return f"{f['instructions_per_op']:>9,.0f} {ratio:>6} {calls:>8} {same:>10}"


def print_record(r):
    client = r if "instructions_per_op" in r else None
    both = r.get("both_ends")
    impl = r["implementation"]
    line = f"{r['workload']:<10} {impl:<7} {columns(client, impl)}  {columns(both, impl)}  "
    line += breakdown(both["syscalls_by_name_per_op"]) if both else "-"
    if both and both["failed_syscalls_by_name_per_op"]:
        line += f" (failing: {breakdown(both['failed_syscalls_by_name_per_op'])})"
    # The client-only calls are shown only where they are not plain's.
    if client and client.get("syscalls_vs_plain") == "DIFFERENT":
        line += f"; client only: {breakdown(client['syscalls_by_name_per_op'])}"
    if client and client["failed_syscalls_by_name_per_op"]:
        line += f"; client only, failing: {breakdown(client['failed_syscalls_by_name_per_op'])}"
    print(line, flush=True)


def main():
    args = parse_args()
    started = time.monotonic()
    try:
        versions = {"valgrind": tool_version(["valgrind", "--version"]), "strace": tool_version(["strace", "-V"])}
    except (OSError, subprocess.SubprocessError) as e:
        print(f"count: FAILED: needs valgrind and strace: {e}", file=sys.stderr)
        return 1
    config = {"compare_bench": args.compare_bench, "workloads": args.workloads, "implementations": args.impls,
              "modes": args.modes,
              "layout": "each result holds the client-only figures at its top level, the both-ends ones under "
                        "'both_ends'",
              "iterations": {m: {w: list(args.iterations[m][w]) for w in args.workloads} for m in args.modes},
              "repeat": args.repeat, "jobs": args.jobs,
              **versions, "machine": {"platform": platform.platform(), "cpus": os.cpu_count()}}
    print(f"counts per operation: {config['valgrind']} (callgrind, user-space instructions, all threads), "
          f"{config['strace']} (-c -f); differences of two runs of N1 and N2 operations")
    print("client only: the client process alone, against a plain server in another process; "
          "both ends: the implementation's server thread and client thread in one process")
    print("(both ends has two threads, so every blocking libc call costs more there, in every implementation "
          "alike: compare differences to plain; see bench/README.md)")
    print_header()
    records, error = [], None
    deadline = started + args.max_seconds
    try:
        with tempfile.TemporaryDirectory(prefix="outlet-count-") as directory:
            # Every figure on its own, up to --jobs at a time; the rows are printed workload by workload, in order.
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs)
            try:
                futures = {(w, m, i): pool.submit(figure, args, w, m, i, directory, deadline)
                           for w in args.workloads for m in args.modes for i in args.impls}
                for w in args.workloads:
                    figures = {m: {i: futures[(w, m, i)].result() for i in args.impls} for m in args.modes}
                    for r in workload_records(args, w, figures):
                        print_record(r)
                        records.append(r)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
    except (Failure, subprocess.SubprocessError, OSError) as e:
        error = str(e)
    config["seconds"] = round(time.monotonic() - started, 1)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"config": config, "results": records, "error": error}, f, indent=2)
        f.write("\n")
    if args.repeat > 1 and not error:
        spreads = [(f["instructions_per_op_spread"], r["workload"], r["implementation"], mode)
                   for r in records for mode, f in (("client only", r), ("both ends", r.get("both_ends")))
                   if f and "instructions_per_op_spread" in f]
        worst = max(spreads)
        print(f"each figure counted {args.repeat} times: instructions per operation agree within "
              f"{worst[0]:.1f} (largest: {worst[1]} {worst[2]}, {worst[3]}; tolerance {args.tolerance:g})")
    if any(max(r.get("both_ends", {}).get("strace_runs", [1])) > 2 for r in records):
        print(f"*: the strace runs of that figure disagreed; the least count of each call over {STRACE_RUNS_MAX} "
              "runs was taken")
    print(f"took {config['seconds']:.0f} s; written to {args.json}")
    if error:
        print(f"count: FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
