#!/usr/bin/env python3
"""Compile cost of a minimal TCP echo server: plain BSD calls, outlet, Asio.

Compiles bench/header_cost/echo_plain.cpp, echo_outlet.cpp and echo_asio.cpp
(three equivalent programs: bind 127.0.0.1:0, print the port, accept one
client, echo until it closes) with one compiler, as
    <cxx> -std=c++17 -O0|-O2 -c <file> -o /dev/null
(outlet adds -I include, Asio adds -DASIO_STANDALONE), taking turns file by
file and round by round, and measures each compile's CPU time (user + system
of the compiler and its children, from os.wait4) and wall time. A fourth
program, "separate", is echo_outlet.cpp in separate compilation
(-DOUTLET_SEPARATE_COMPILATION; outlet's bodies then compile once per
program, in outlet_src.cpp, which is not measured). Prints the medians and
the ratios outlet/plain, asio/plain, asio/outlet, separate/plain and
asio/separate at -O0 and at -O2, and two facts that do not depend on the machine's load: the number of
lines the preprocessor produces (-E) and the number of distinct headers read
(-M). Writes everything as JSON.

--check first compiles, links and runs each program once and echoes one line
through it with a Python client, to show they really do the same job.

Exit status 0 when every compile (and check) succeeded; 1 otherwise.
"""

import argparse
import json
import os
import platform
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

IMPLEMENTATIONS = ("plain", "outlet", "separate", "asio")
LEVELS = ("-O0", "-O2")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = os.path.join(REPO, "bench", "header_cost")
CHECK_LINE = b"one line through the echo server\n"
CHECK_TIMEOUT_S = 10.0  # each step of --check: first line, echo, exit


class Failure(Exception):
    """A compile or a check that did not succeed."""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cxx", default="c++", help="the compiler (default: %(default)s)")
    p.add_argument("--include", default=os.path.join(REPO, "include"),
                   help="outlet's include directory (default: the repository's include/)")
    p.add_argument("--asio-include", help="directory holding asio.hpp, when it is not on the default path")
    p.add_argument("--rounds", type=int, default=7, help="measured rounds (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured rounds first (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="3 measured rounds instead of --rounds")
    p.add_argument("--check", action="store_true", help="first build, run and echo one line through each program")
    p.add_argument("--check-only", action="store_true", help="--check, then stop: measure nothing")
    p.add_argument("--timeout-s", type=float, default=300, help="limit for each compile (default: %(default)s)")
    p.add_argument("--json", default="header_cost_results.json", help="output file (default: %(default)s)")
    args = p.parse_args()
    if args.quick:
        args.rounds = 3
    if args.rounds < 1 or args.warmup < 0:
        p.error("--rounds must be at least 1 and --warmup not negative")
    args.check = args.check or args.check_only
    return args


def flags(args, impl):
    """The flags particular to one implementation."""
    if impl == "outlet":
        return ["-I", args.include]
    if impl == "separate":
        return ["-I", args.include, "-DOUTLET_SEPARATE_COMPILATION"]
    if impl == "asio":
        return ["-DASIO_STANDALONE"] + (["-I", args.asio_include] if args.asio_include else [])
    return []


def source(impl):
    # "separate" is echo_outlet.cpp itself, in separate compilation.
    return os.path.join(SOURCES, f"echo_{'outlet' if impl == 'separate' else impl}.cpp")


def run(command, timeout_s, stdout=subprocess.DEVNULL):
    """Runs a command; returns (CPU seconds of it and its children, wall seconds)."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err)
        timer = threading.Timer(timeout_s, process.kill)
        timer.start()
        try:
            # wait4 reaps this one child and gives its rusage, the compiler's
            # own children (cc1plus, as) included.
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            err.seek(0)
            message = err.read()[-3000:].decode(errors="replace")
            raise Failure(f"{' '.join(command)} exited {process.returncode}: {message}")
    return usage.ru_utime + usage.ru_stime, wall


def compile_command(args, impl, level):
    return [args.cxx, "-std=c++17", level, *flags(args, impl), "-c", source(impl), "-o", os.devnull]


def size_facts(args, impl, level):
    """Preprocessed lines and distinct headers: the same on every run."""
    base = [args.cxx, "-std=c++17", level, *flags(args, impl)]
    with tempfile.TemporaryFile() as out:
        run(base + ["-E", source(impl)], args.timeout_s, stdout=out)
        out.seek(0)
        lines = out.read().count(b"\n")
    with tempfile.TemporaryFile() as out:
        run(base + ["-M", source(impl)], args.timeout_s, stdout=out)
        out.seek(0)
        rule = out.read().decode().replace("\\\n", " ")
    deps = rule.split(":", 1)[1].split()[1:]  # drop the source file itself
    headers = {os.path.realpath(d) for d in deps}
    own = {h for h in headers if (impl in ("outlet", "separate") and "/outlet/" in h)
           or (impl == "asio" and ("/asio/" in h or h.endswith("/asio.hpp")))}
    return {"preprocessed_lines": lines, "headers": len(headers), "library_headers": len(own)}


def read_first_line(process):
    """The server's first stdout line, waiting at most CHECK_TIMEOUT_S."""
    fd, data = process.stdout.fileno(), b""
    deadline = time.monotonic() + CHECK_TIMEOUT_S
    while b"\n" not in data:
        ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            raise Failure(f"no first line within {CHECK_TIMEOUT_S:.0f} s; got {data!r}")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise Failure(f"output closed before the first line; got {data!r}")
        data += chunk
    return data.split(b"\n", 1)[0].decode()


def check(args, impl, directory):
    """Builds one program, echoes CHECK_LINE through it, checks it exits 0."""
    exe = os.path.join(directory, f"echo_{impl}")
    # Separate compilation links the bodies, compiled once in outlet_src.cpp.
    bodies = [os.path.join(SOURCES, "outlet_src.cpp")] if impl == "separate" else []
    run([args.cxx, "-std=c++17", "-O0", *flags(args, impl), source(impl), *bodies, "-o", exe, "-pthread"],
        args.timeout_s)
    with tempfile.TemporaryFile("w+") as err:
        server = subprocess.Popen([exe], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        try:
            line = read_first_line(server)
            prefix = "listening on 127.0.0.1:"
            if not line.startswith(prefix):
                raise Failure(f"first line is not '{prefix}<port>': {line!r}")
            port = int(line[len(prefix):])
            with socket.create_connection(("127.0.0.1", port), timeout=CHECK_TIMEOUT_S) as client:
                client.sendall(CHECK_LINE)
                client.shutdown(socket.SHUT_WR)
                echoed = b""
                while True:
                    chunk = client.recv(4096)
                    if not chunk:
                        break
                    echoed += chunk
            if echoed != CHECK_LINE:
                raise Failure(f"sent {CHECK_LINE!r}, got back {echoed!r}")
            status = server.wait(timeout=CHECK_TIMEOUT_S)
            err.seek(0)
            report = err.read().strip()
            if status != 0:
                raise Failure(f"exited {status}; stderr: {report!r}")
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
            server.stdout.close()
    return {"port": port, "echoed_bytes": len(echoed), "stderr": report}


def median_entry(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "all": values}


def compiler_version(cxx):
    out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.splitlines()[0].strip()


def measure(args):
    """Warm-up and measured rounds, taking turns; returns {level: {impl: [(cpu, wall)]}}."""
    times = {level: {impl: [] for impl in IMPLEMENTATIONS} for level in LEVELS}
    for r in range(args.warmup + args.rounds):
        measured = r >= args.warmup
        for level in LEVELS:
            k = r % len(IMPLEMENTATIONS)  # rotate who goes first, round by round
            for impl in IMPLEMENTATIONS[k:] + IMPLEMENTATIONS[:k]:
                cpu, wall = run(compile_command(args, impl, level), args.timeout_s)
                if measured:
                    times[level][impl].append((round(cpu, 4), round(wall, 4)))
        label = f"round {r - args.warmup + 1}" if measured else "warm-up"
        print(f"  {label} done", flush=True)
    return times


def summarise(times, facts):
    summary = {}
    for level in LEVELS:
        entry = {}
        for impl in IMPLEMENTATIONS:
            entry[impl] = {"cpu_seconds": median_entry([c for c, _ in times[level][impl]]),
                           "wall_seconds": median_entry([w for _, w in times[level][impl]]),
                           **facts[level][impl]}
        for kind in ("cpu_seconds", "wall_seconds"):
            m = {impl: entry[impl][kind]["median"] for impl in IMPLEMENTATIONS}
            entry[f"ratios_{kind}"] = {"outlet/plain": m["outlet"] / m["plain"], "asio/plain": m["asio"] / m["plain"],
                                       "asio/outlet": m["asio"] / m["outlet"],
                                       "separate/plain": m["separate"] / m["plain"],
                                       "asio/separate": m["asio"] / m["separate"]}
        summary[level] = entry
    return summary


def print_summary(summary):
    print()
    print(f"{'level':<5} {'program':<8} {'CPU s':>7} {'(min .. max)':>16} {'wall s':>7} "
          f"{'pp lines':>9} {'headers':>8} {'of them library':>16}")
    for level in LEVELS:
        for impl in IMPLEMENTATIONS:
            s = summary[level][impl]
            cpu = s["cpu_seconds"]
            spread = f"({cpu['min']:.3f} .. {cpu['max']:.3f})"
            print(f"{level:<5} {impl:<8} {cpu['median']:>7.3f} {spread:>16} {s['wall_seconds']['median']:>7.3f} "
                  f"{s['preprocessed_lines']:>9,} {s['headers']:>8} {s['library_headers']:>16}")
    print()
    print(f"{'ratio of medians':<18} {'outlet/plain':>12} {'asio/plain':>11} {'asio/outlet':>12} "
          f"{'separate/plain':>15} {'asio/separate':>14}")
    for level in LEVELS:
        for kind, name in (("cpu_seconds", "CPU"), ("wall_seconds", "wall")):
            r = summary[level][f"ratios_{kind}"]
            print(f"{level + ' ' + name:<18} {r['outlet/plain']:>12.2f} {r['asio/plain']:>11.2f} "
                  f"{r['asio/outlet']:>12.2f} {r['separate/plain']:>15.2f} {r['asio/separate']:>14.2f}")
    for level in LEVELS:
        lines = {impl: summary[level][impl]["preprocessed_lines"] for impl in IMPLEMENTATIONS}
        print(f"{level + ' pp lines':<18} {lines['outlet'] / lines['plain']:>12.2f} "
              f"{lines['asio'] / lines['plain']:>11.2f} {lines['asio'] / lines['outlet']:>12.2f} "
              f"{lines['separate'] / lines['plain']:>15.2f} {lines['asio'] / lines['separate']:>14.2f}")


def main():
    args = parse_args()
    try:
        version = compiler_version(args.cxx)
    except (OSError, subprocess.SubprocessError) as e:
        print(f"header_cost: FAILED: {args.cxx} --version: {e}", file=sys.stderr)
        return 1
    result = {"config": {"cxx": args.cxx, "compiler": version, "rounds": args.rounds, "warmup": args.warmup,
                         "levels": list(LEVELS),
                         "commands": {impl: compile_command(args, impl, "-O2") for impl in IMPLEMENTATIONS},
                         "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
                         "load_average_before": list(os.getloadavg())},
              "error": None}
    print(f"header cost: {version}; -std=c++17 -c, -O0 and -O2; {args.warmup} warm-up + {args.rounds} "
          f"measured rounds, taking turns; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}", flush=True)
    try:
        if args.check:
            result["check"] = {}
            with tempfile.TemporaryDirectory(prefix="outlet-header-cost-") as directory:
                for impl in IMPLEMENTATIONS:
                    try:
                        result["check"][impl] = c = check(args, impl, directory)
                    except Failure as e:
                        raise Failure(f"check {impl}: {e}") from None
                    print(f"  check {impl:<8}: echoed {c['echoed_bytes']} bytes, exit 0 ({c['stderr']})", flush=True)
        if not args.check_only:
            facts = {level: {impl: size_facts(args, impl, level) for impl in IMPLEMENTATIONS} for level in LEVELS}
            times = measure(args)
            result["times"] = {level: {impl: [{"cpu_seconds": c, "wall_seconds": w} for c, w in runs]
                                       for impl, runs in by_impl.items()} for level, by_impl in times.items()}
            result["summary"] = summarise(times, facts)
            print_summary(result["summary"])
    except (Failure, subprocess.SubprocessError, OSError) as e:
        result["error"] = str(e)
    result["config"]["load_average_after"] = list(os.getloadavg())
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"load average now {os.getloadavg()[0]:.2f}; written to {args.json}")
    if result["error"]:
        print(f"header_cost: FAILED: {result['error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
