#!/usr/bin/env python3
"""User-space instructions per operation of each TLS client in tls_bench.

For each client (plain, asio, outlet: those built) and workload (handshake,
pingpong, bulk), runs `tls_bench once --impl I --workload W --iterations N`
under `valgrind --tool=callgrind --separate-threads=yes` for N1 and for N2
operations, and takes the client thread's instructions (thread 1, the main
thread; the plain OpenSSL server is thread 2) from each. Start-up (making the
certificates, the contexts) costs the same in both runs, so

    instructions per operation = (Ir(N2) - Ir(N1)) / (N2 - N1)

for the client, and the same for the server thread (which should be the
same whatever the client). Kernel work is not counted (callgrind sees user
space only). Prints a table with each client's ratio to plain, and writes
JSON. Linux, valgrind needed. Exit status 0 when every run succeeded.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

WORKLOADS = ("handshake", "pingpong", "bulk")
IMPLS = ("plain", "asio", "outlet")
ITERATIONS = {"handshake": (40, 80), "pingpong": (1000, 2000), "bulk": (40, 80)}
QUICK_ITERATIONS = {"handshake": (10, 20), "pingpong": (200, 400), "bulk": (10, 20)}


def total_ir(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = re.match(r"^(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    raise RuntimeError(f"no 'summary:' line in {path}")


def count(args, impl, workload, n, work):
    out = os.path.join(work, f"cg.{impl}.{workload}.{n}")
    command = [args.valgrind, "--tool=callgrind", "--separate-threads=yes", f"--callgrind-out-file={out}",
               args.tls_bench, "once", "--impl", impl, "--workload", workload, "--iterations", str(n)]
    r = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    if r.returncode != 0 or f"ops={n}" not in r.stdout:
        raise RuntimeError(f"{' '.join(command)} failed ({r.returncode}): {r.stderr.strip()[-600:]}")
    return total_ir(out + "-01"), total_ir(out + "-02")


def is_built(args, impl):
    r = subprocess.run([args.tls_bench, "once", "--impl", impl, "--workload", "pingpong", "--iterations", "1"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode == 0:
        return True, ""
    if "not built" in r.stderr or "not found" in r.stderr:
        return False, r.stderr.strip()
    raise RuntimeError(f"tls_bench once --impl {impl} failed ({r.returncode}): {r.stderr.strip()}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tls-bench", required=True, help="the tls_bench program")
    p.add_argument("--workloads", default=",".join(WORKLOADS))
    p.add_argument("--impls", default=",".join(IMPLS))
    p.add_argument("--quick", action="store_true", help="fewer operations per run")
    p.add_argument("--valgrind", default="valgrind")
    p.add_argument("--timeout", type=float, default=600, help="seconds per valgrind run")
    p.add_argument("--json", default="tls_counts_results.json")
    args = p.parse_args()
    workloads = [w for w in args.workloads.split(",") if w]
    impls = [i for i in args.impls.split(",") if i]
    for w in workloads:
        if w not in WORKLOADS:
            p.error(f"unknown workload '{w}' ({', '.join(WORKLOADS)})")
    for i in impls:
        if i not in IMPLS:
            p.error(f"unknown implementation '{i}' ({', '.join(IMPLS)})")
    if "plain" not in impls:
        p.error("--impls must include plain (the ratios are to plain)")

    iterations = QUICK_ITERATIONS if args.quick else ITERATIONS
    results, not_built, failed = [], {}, False
    built = []
    for impl in impls:
        ok, why = is_built(args, impl)
        if ok:
            built.append(impl)
        else:
            not_built[impl] = why
            print(f"{impl}: not counted: {why}")
    with tempfile.TemporaryDirectory(prefix="count_tls.") as work:
        for w in workloads:
            n1, n2 = iterations[w]
            print(f"\n{w}: instructions per operation, (Ir({n2}) - Ir({n1})) / {n2 - n1}")
            print(f"  {'impl':8}{'client':>14}{'ratio/plain':>14}{'server':>14}")
            rows = {}
            for impl in built:
                try:
                    c1, s1 = count(args, impl, w, n1, work)
                    c2, s2 = count(args, impl, w, n2, work)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    print(f"  {impl:8}failed: {e}")
                    failed = True
                    continue
                rows[impl] = {"impl": impl, "workload": w, "iterations": [n1, n2],
                              "client_ir": [c1, c2], "server_ir": [s1, s2],
                              "client_per_op": (c2 - c1) / (n2 - n1), "server_per_op": (s2 - s1) / (n2 - n1)}
            base = rows.get("plain")
            for impl, row in rows.items():
                row["client_ratio"] = row["client_per_op"] / base["client_per_op"] if base else None
                ratio = f"{row['client_ratio']:.3f}" if base else "-"
                print(f"  {impl:8}{row['client_per_op']:>14,.0f}{ratio:>14}{row['server_per_op']:>14,.0f}")
                results.append(row)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump({"benchmark": "count_tls", "quick": args.quick, "not_built": not_built, "results": results},
                  f, indent=2)
        f.write("\n")
    print(f"\nwrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
