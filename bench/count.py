#!/usr/bin/env python3
"""Instructions and system calls per operation: plain BSD calls, outlet, Asio.

For each workload of compare_bench (tcp4, tcp6, unix, udp, bulk, accept) it
starts one untraced peer (`compare_bench peer --workload W`, the plain server
side), then runs the client side of each implementation against it
(`compare_bench client --impl I --workload W --peer ADDR --iterations N`):

  - under `valgrind --tool=callgrind`, for N1 and then N2 operations, and
    takes the client's total instructions executed (Ir) from each;
  - under `strace -c -f`, for N1 and N2 operations, and takes the number of
    calls of each system call.

Start-up and shut-down cost the same for N1 and N2, so the figures per
operation are differences: (Ir(N2) - Ir(N1)) / (N2 - N1), and the same for
each system call. Both counts are of the client process only, in user space
(callgrind does not see the kernel's work). They do not depend on the
machine's load: run twice, they agree to a few instructions per operation.

Prints a table (instructions per operation, ratio to plain, system calls per
operation and which) and says whether each implementation makes the SAME
system calls per operation as plain or DIFFERENT ones. Writes it all as JSON.
Linux only. Exit status 0 when every run succeeded; 1 otherwise.
"""

import argparse
import json
import os
import platform
import re
import select
import subprocess
import sys
import tempfile
import time

WORKLOADS = ("tcp4", "tcp6", "unix", "udp", "bulk", "accept")
IMPLEMENTATIONS = ("plain", "outlet", "asio")
# Operations per client run (N1, N2). A bulk operation is one 64 KiB send_all.
ITERATIONS = {"tcp4": (2000, 4000), "tcp6": (2000, 4000), "unix": (2000, 4000), "udp": (2000, 4000),
              "bulk": (200, 400), "accept": (500, 1000)}
QUICK_ITERATIONS = {"tcp4": (500, 1000), "tcp6": (500, 1000), "unix": (500, 1000), "udp": (500, 1000),
                    "bulk": (50, 100), "accept": (200, 400)}
PEER_TIMEOUT_S = 10.0  # for the peer's first line, and for it to exit once its stdin is closed


class Failure(Exception):
    """A run that did not complete."""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default="build/bench",
                   help="CMake build tree holding bench/compare_bench (default: %(default)s)")
    p.add_argument("--compare-bench", help="the program (default: <build-dir>/bench/compare_bench)")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated (default: %(default)s)")
    p.add_argument("--impls", default=",".join(IMPLEMENTATIONS), help="comma-separated (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="a quarter of the operations (the figures barely move)")
    p.add_argument("--timeout-s", type=float, default=120, help="limit for each traced run (default: %(default)s)")
    p.add_argument("--max-seconds", type=float, default=600,
                   help="start no run after this many seconds; fail instead (default: %(default)s)")
    p.add_argument("--json", default="counts_results.json", help="output file (default: %(default)s)")
    args = p.parse_args()
    args.workloads = [w for w in args.workloads.split(",") if w]
    args.impls = [i for i in args.impls.split(",") if i]
    for w in args.workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload {w!r}; known: {', '.join(WORKLOADS)}")
    for i in args.impls:
        if i not in IMPLEMENTATIONS:
            p.error(f"unknown implementation {i!r}; known: {', '.join(IMPLEMENTATIONS)}")
    args.compare_bench = args.compare_bench or os.path.join(args.build_dir, "bench", "compare_bench")
    if not os.access(args.compare_bench, os.X_OK):  # a failure like any other: exit status 1
        sys.exit(f"count: {args.compare_bench}: not an executable (build it first, or pass --compare-bench)")
    args.iterations = QUICK_ITERATIONS if args.quick else ITERATIONS
    return args


def tool_version(command):
    out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    return (out.stdout or out.stderr).splitlines()[0].strip()


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


def run_traced(args, prefix, impl, workload, address, n):
    """Runs the client under a tracer (prefix) for n operations."""
    command = prefix + [args.compare_bench, "client", "--impl", impl, "--workload", workload,
                        "--peer", address, "--iterations", str(n)]
    try:
        out = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=args.timeout_s)
    except subprocess.TimeoutExpired:
        raise Failure(f"{' '.join(command)}: still running after {args.timeout_s:.0f} s") from None
    if out.returncode != 0:
        raise Failure(f"{' '.join(command)} exited {out.returncode}; stderr: {out.stderr[-2000:]!r}")
    if f"ops={n}" not in out.stdout:
        raise Failure(f"{' '.join(command)}: no 'ops={n}' line; stdout: {out.stdout[-500:]!r}")


def instructions(args, impl, workload, address, n, directory):
    """The client's total Ir for n operations, from callgrind's out file."""
    path = os.path.join(directory, f"callgrind.{workload}.{impl}.{n}")
    run_traced(args, ["valgrind", "--tool=callgrind", f"--callgrind-out-file={path}"],
               impl, workload, address, n)
    with open(path) as f:
        text = f.read()
    match = re.search(r"^totals:\s+(\d+)", text, re.M) or re.search(r"^summary:\s+(\d+)", text, re.M)
    if not match:
        raise Failure(f"{path}: no 'totals:' or 'summary:' line")
    return int(match.group(1))


def syscalls(args, impl, workload, address, n, directory):
    """{name: (calls, errors)} for the client's n operations, from strace -c."""
    path = os.path.join(directory, f"strace.{workload}.{impl}.{n}")
    run_traced(args, ["strace", "-c", "-f", "-o", path], impl, workload, address, n)
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


def per_op(a, b, n1, n2):
    return (b - a) / (n2 - n1)


def syscall_difference(c1, c2, n1, n2):
    """Calls (and failed calls) per operation, by name; names that do not grow are left out."""
    calls, errors = {}, {}
    for name in sorted(set(c1) | set(c2)):
        (k1, e1), (k2, e2) = c1.get(name, (0, 0)), c2.get(name, (0, 0))
        if round(per_op(k1, k2, n1, n2), 2) != 0:
            calls[name] = round(per_op(k1, k2, n1, n2), 3)
        if round(per_op(e1, e2, n1, n2), 2) != 0:
            errors[name] = round(per_op(e1, e2, n1, n2), 3)
    return calls, errors


def breakdown(calls):
    """'sendto 1, recvfrom 1', most frequent first."""
    items = sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{name} {value:g}" for name, value in items) or "-"


def measure_workload(args, workload, directory, deadline):
    n1, n2 = args.iterations[workload]
    records = []
    peer, address = start_peer(args, workload)
    try:
        for impl in args.impls:
            if time.monotonic() > deadline:
                raise Failure(f"counting exceeded --max-seconds {args.max_seconds:.0f}")
            ir1 = instructions(args, impl, workload, address, n1, directory)
            ir2 = instructions(args, impl, workload, address, n2, directory)
            s1 = syscalls(args, impl, workload, address, n1, directory)
            s2 = syscalls(args, impl, workload, address, n2, directory)
            calls, errors = syscall_difference(s1, s2, n1, n2)
            records.append({"workload": workload, "implementation": impl, "n1": n1, "n2": n2,
                            "instructions_n1": ir1, "instructions_n2": ir2,
                            "instructions_per_op": per_op(ir1, ir2, n1, n2),
                            "syscalls_per_op": round(sum(calls.values()), 3),
                            "syscalls_by_name_per_op": calls, "failed_syscalls_by_name_per_op": errors})
    finally:
        stop_peer(peer, check=sys.exc_info()[0] is None)
    plain = next((r for r in records if r["implementation"] == "plain"), None)
    for r in records:
        if plain is not None:
            r["ratio_instructions_to_plain"] = r["instructions_per_op"] / plain["instructions_per_op"]
            r["syscalls_vs_plain"] = ("SAME" if r["syscalls_by_name_per_op"] == plain["syscalls_by_name_per_op"]
                                      else "DIFFERENT")
        print_record(r)
    return records


def print_header():
    print(f"{'workload':<8} {'impl':<7} {'instr/op':>10} {'/plain':>7} {'syscalls/op':>12} {'vs plain':>9}  "
          f"system calls per operation")


def print_record(r):
    ratio = f"{r['ratio_instructions_to_plain']:.3f}" if "ratio_instructions_to_plain" in r else "-"
    same = "-" if r["implementation"] == "plain" else r.get("syscalls_vs_plain", "-")
    line = (f"{r['workload']:<8} {r['implementation']:<7} {r['instructions_per_op']:>10,.0f} {ratio:>7} "
            f"{r['syscalls_per_op']:>12g} {same:>9}  {breakdown(r['syscalls_by_name_per_op'])}")
    if r["failed_syscalls_by_name_per_op"]:
        line += f" (failing: {breakdown(r['failed_syscalls_by_name_per_op'])})"
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
              "iterations": {w: list(args.iterations[w]) for w in args.workloads}, **versions,
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count()}}
    print(f"counts per operation of the client process: {config['valgrind']} (callgrind, user-space instructions), "
          f"{config['strace']} (-c -f); differences of two runs of N1 and N2 operations")
    print_header()
    records, error = [], None
    deadline = started + args.max_seconds
    try:
        with tempfile.TemporaryDirectory(prefix="outlet-count-") as directory:
            for workload in args.workloads:
                try:
                    records += measure_workload(args, workload, directory, deadline)
                except Failure as e:
                    raise Failure(f"{workload}: {e}") from None
    except (Failure, subprocess.SubprocessError, OSError) as e:
        error = str(e)
    config["seconds"] = round(time.monotonic() - started, 1)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"config": config, "results": records, "error": error}, f, indent=2)
        f.write("\n")
    print(f"took {config['seconds']:.0f} s; written to {args.json}")
    if error:
        print(f"count: FAILED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
