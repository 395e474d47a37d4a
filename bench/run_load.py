#!/usr/bin/env python3
"""Load benchmark: outlet's Poller echo server against an Asio echo server.

Runs bench/load_client (N concurrent connections x M verified echo round
trips) against examples/tcp_echo_server and bench/asio_echo_server, taking
turns run by run (outlet, asio, outlet, asio, ...) so that both see the same
machine. For each run it records the client's round trips per second, the
server's thread count (sampled while the load runs) and its peak resident
memory (VmHWM, read just before SIGTERM), and checks that the server exits 0
on SIGTERM. Prints a table of medians and the ratio outlet/asio, and writes
the same as JSON.

It builds nothing: build first, e.g.
    cmake --workflow --preset bench
    python3 bench/run_load.py

Linux only (it reads /proc/<pid>/status). Exit status 0 when every run
verified every byte and every server stopped cleanly; 1 otherwise.
"""

import argparse
import json
import os
import platform
import resource
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

IMPLEMENTATIONS = ("outlet", "asio")
STARTUP_TIMEOUT_S = 10.0  # for the server's "listening on" line
SHUTDOWN_TIMEOUT_S = 10.0  # for the server to exit after SIGTERM
SAMPLE_INTERVAL_S = 0.05  # how often the server's /proc status is sampled


class RunError(Exception):
    """A run that did not complete or did not verify."""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default="build/bench",
                   help="CMake build tree holding the three programs (default: %(default)s)")
    p.add_argument("--outlet-server", help="default: <build-dir>/examples/tcp_echo_server")
    p.add_argument("--asio-server", help="default: <build-dir>/bench/asio_echo_server")
    p.add_argument("--client", help="default: <build-dir>/bench/load_client")
    p.add_argument("--connections", type=int, default=2000, help="concurrent connections (default: %(default)s)")
    p.add_argument("--rounds", type=int, default=100,
                   help="echo round trips per connection (default: %(default)s)")
    p.add_argument("--size", type=int, default=64, help="bytes per message (default: %(default)s)")
    p.add_argument("--runs", type=int, default=5, help="measured runs per implementation (default: %(default)s)")
    p.add_argument("--warmup", type=int, default=1,
                   help="unmeasured runs per implementation first (default: %(default)s)")
    p.add_argument("--address", default="127.0.0.1:0", help="server listen address (default: %(default)s)")
    p.add_argument("--timeout-s", type=int, default=120,
                   help="per-run limit passed to load_client (default: %(default)s)")
    p.add_argument("--max-seconds", type=float, default=900,
                   help="start no run after this many seconds; fail instead (default: %(default)s)")
    p.add_argument("--pin", action="store_true",
                   help="pin the server to the first allowed CPU and the client to the second")
    p.add_argument("--json", help="where to write the summary (default: <build-dir>/load_results.json)")
    args = p.parse_args()
    for name in ("connections", "rounds", "size", "runs", "timeout_s"):
        if getattr(args, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must not be negative")
    args.outlet_server = args.outlet_server or os.path.join(args.build_dir, "examples", "tcp_echo_server")
    args.asio_server = args.asio_server or os.path.join(args.build_dir, "bench", "asio_echo_server")
    args.client = args.client or os.path.join(args.build_dir, "bench", "load_client")
    args.json = args.json or os.path.join(args.build_dir, "load_results.json")
    for path in (args.outlet_server, args.asio_server, args.client):
        if not os.access(path, os.X_OK):
            p.error(f"{path}: not an executable (build it first, or pass its path)")
    return args


def raise_descriptor_limit(connections):
    """Raises RLIMIT_NOFILE for us and so for the servers and the client."""
    need = connections + 256  # the connections plus listener, pipes, std streams
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))  # only root may raise hard
            except (ValueError, OSError):
                sys.exit(f"run_load: need {need} descriptors but the hard limit is {hard}: "
                         f"raise it (ulimit -Hn) or use fewer --connections")
        else:
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def proc_status(pid):
    """Threads, VmRSS and VmHWM (kB) from /proc/<pid>/status."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Threads", "VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return fields


def proc_cpu_seconds(pid):
    """User + system CPU time of a running process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()  # skip "pid (comm) "; comm may hold spaces
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def read_listening_line(server):
    """Waits (bounded) for the server's first line and returns its address."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    fd = server.stdout.fileno()
    data = b""
    while b"\n" not in data:  # raw reads: a half-written line must not block us
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(left, 0))
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk and ready:  # end of file: the server closed its output, most likely by exiting
            try:
                status = server.wait(timeout=SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                status = "none, still running"
            raise RunError(f"server closed its output (exit status {status}) before its first line; got {data!r}")
        if not chunk:
            raise RunError(f"no complete first line from the server within {STARTUP_TIMEOUT_S:.0f} s; got {data!r}")
        data += chunk
    line = data.split(b"\n", 1)[0].decode(errors="replace")
    if not line.startswith("listening on "):
        raise RunError(f"server's first line is not 'listening on <address>': {line!r}")
    return line[len("listening on "):].strip()


def parse_client_line(text):
    """The key=value line load_client prints, as a dict of numbers."""
    for line in reversed(text.splitlines()):
        if "round_trips_per_second=" in line:
            values = {}
            for item in line.split():
                key, _, value = item.partition("=")
                values[key] = float(value) if "." in value else int(value)
            return values
    raise RunError(f"no result line in load_client's output: {text!r}")


def pinned(cpu):
    """A preexec_fn that pins the child to one CPU (or None: no pinning)."""
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def stop_server(server, stderr_file):
    """SIGTERM, then a bounded wait; the server must exit 0."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
        raise RunError(f"server did not exit within {SHUTDOWN_TIMEOUT_S:.0f} s of SIGTERM")
    if server.returncode != 0:
        stderr_file.seek(0)
        raise RunError(f"server exited {server.returncode} after SIGTERM; stderr: {stderr_file.read()[-2000:]!r}")


def one_run(args, impl, server_path, cpus):
    """Starts the server, loads it with load_client, stops it; returns a record."""
    with tempfile.TemporaryFile("w+") as server_err, tempfile.TemporaryFile("w+") as client_err:
        server = subprocess.Popen([server_path, args.address], stdout=subprocess.PIPE, stderr=server_err,
                                  preexec_fn=pinned(cpus[0]))
        client = None
        try:
            address = read_listening_line(server)
            idle = proc_status(server.pid)
            command = [args.client, address, "--connections", str(args.connections), "--rounds", str(args.rounds),
                       "--size", str(args.size), "--timeout-s", str(args.timeout_s)]
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=client_err, text=True,
                                      preexec_fn=pinned(cpus[1]))
            max_threads = idle["Threads"]
            deadline = started + args.timeout_s + 15  # load_client enforces its own limit first
            while True:
                try:
                    out, _ = client.communicate(timeout=SAMPLE_INTERVAL_S)
                    break
                except subprocess.TimeoutExpired:
                    max_threads = max(max_threads, proc_status(server.pid)["Threads"])
                    if time.monotonic() > deadline:
                        raise RunError(f"load_client still running after {args.timeout_s + 15} s")
            wall = time.monotonic() - started
            children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if server.poll() is not None:
                raise RunError(f"server died during the run (exit {server.returncode})")
            final = proc_status(server.pid)  # just before SIGTERM: VmHWM is the run's peak
            server_cpu = proc_cpu_seconds(server.pid)
            if client.returncode != 0:
                client_err.seek(0)
                raise RunError(f"load_client exited {client.returncode}; stderr: {client_err.read()[-2000:]!r}")
            result = parse_client_line(out)
            expected = args.connections * args.rounds
            if result.get("round_trips") != expected:
                raise RunError(f"load_client reports {result.get('round_trips')} round trips, expected {expected}")
            if result.get("verified_bytes") != expected * args.size:
                raise RunError(f"load_client verified {result.get('verified_bytes')} bytes, "
                               f"expected {expected * args.size}")
            stop_server(server, server_err)
            server_err.seek(0)
            server_messages = server_err.read()[-1000:]  # e.g. accept errors: kept in the JSON
        finally:
            for process in (client, server):  # whatever went wrong, leave nothing running
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait()
            server.stdout.close()
    return {
        "implementation": impl,
        "round_trips_per_second": result["round_trips_per_second"],
        "client_seconds": result.get("seconds"),
        "round_trips": result["round_trips"],
        "verified_bytes": result.get("verified_bytes"),
        "wall_seconds": round(wall, 3),
        "server_threads_max": max(max_threads, final["Threads"]),
        "server_peak_rss_kb": final["VmHWM"],
        "server_idle_rss_kb": idle["VmRSS"],
        "server_cpu_seconds": round(server_cpu, 3),
        "server_cpu_us_per_round_trip": round(server_cpu * 1e6 / result["round_trips"], 2),
        "server_stderr": server_messages,
        "client_cpu_seconds": round((children_after.ru_utime + children_after.ru_stime)
                                    - (children_before.ru_utime + children_before.ru_stime), 3),
    }


def summarise(records):
    """Medians (and spread) per implementation, and the ratio of the medians."""
    summary = {}
    for impl in IMPLEMENTATIONS:
        runs = [r for r in records if r["implementation"] == impl]
        if not runs:
            continue
        rates = [r["round_trips_per_second"] for r in runs]
        summary[impl] = {
            "runs": len(runs),
            "round_trips_per_second_median": statistics.median(rates),
            "round_trips_per_second_min": min(rates),
            "round_trips_per_second_max": max(rates),
            "server_threads_max": max(r["server_threads_max"] for r in runs),
            "server_peak_rss_kb_median": statistics.median(r["server_peak_rss_kb"] for r in runs),
            "server_peak_rss_kb_max": max(r["server_peak_rss_kb"] for r in runs),
            "server_cpu_us_per_round_trip_median": statistics.median(r["server_cpu_us_per_round_trip"] for r in runs),
        }
    if "outlet" in summary and "asio" in summary:
        summary["ratio_outlet_over_asio"] = (summary["outlet"]["round_trips_per_second_median"]
                                             / summary["asio"]["round_trips_per_second_median"])
    return summary


def print_run(index, record, measured):
    label = f"{index:>3}" if measured else "  w"
    print(f"{label}  {record['implementation']:<7} {record['round_trips_per_second']:>14,.0f} "
          f"{record['client_seconds']:>9.3f} {record['server_threads_max']:>8} "
          f"{record['server_peak_rss_kb'] / 1024:>12.1f} {record['server_cpu_us_per_round_trip']:>16.2f}", flush=True)


def print_summary(summary):
    print()
    print(f"{'median of runs':<15} {'round trips/s':>14} {'(min .. max)':>25} {'threads':>8} "
          f"{'peak RSS MiB':>13} {'server CPU us/rt':>17}")
    for impl in IMPLEMENTATIONS:
        if impl not in summary:
            continue
        s = summary[impl]
        spread = f"({s['round_trips_per_second_min']:,.0f} .. {s['round_trips_per_second_max']:,.0f})"
        print(f"{impl + ' x' + str(s['runs']):<15} {s['round_trips_per_second_median']:>14,.0f} {spread:>25} "
              f"{s['server_threads_max']:>8} {s['server_peak_rss_kb_median'] / 1024:>13.1f} "
              f"{s['server_cpu_us_per_round_trip_median']:>17.2f}")
    if "ratio_outlet_over_asio" in summary:
        print(f"ratio outlet/asio (median round trips/s): {summary['ratio_outlet_over_asio']:.3f}")


def main():
    args = parse_args()
    nofile = raise_descriptor_limit(args.connections)
    cpus = (None, None)
    if args.pin:
        allowed = sorted(os.sched_getaffinity(0))
        if len(allowed) < 2:
            sys.exit("run_load: --pin needs at least two CPUs")
        cpus = (allowed[0], allowed[1])
    servers = {"outlet": args.outlet_server, "asio": args.asio_server}
    config = {
        "connections": args.connections, "rounds": args.rounds, "size": args.size, "runs": args.runs,
        "warmup": args.warmup, "address": args.address, "pinned_cpus": list(cpus) if args.pin else None,
        "nofile_limit": nofile, "outlet_server": args.outlet_server, "asio_server": args.asio_server,
        "client": args.client, "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "load_average_before": list(os.getloadavg()),
    }
    print(f"load: {args.connections} connections x {args.rounds} round trips x {args.size} B; "
          f"{args.warmup} warm-up + {args.runs} measured runs per implementation, taking turns; "
          f"RLIMIT_NOFILE {nofile}; {os.cpu_count()} CPUs{'; pinned' if args.pin else ''}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'run':>3}  {'server':<7} {'round trips/s':>14} {'client s':>9} {'threads':>8} "
          f"{'peak RSS MiB':>12} {'server CPU us/rt':>16}")

    deadline = time.monotonic() + args.max_seconds
    records, error = [], None
    schedule = [(False, i) for i in range(args.warmup)] + [(True, i) for i in range(args.runs)]
    try:
        for measured, i in schedule:
            for impl in IMPLEMENTATIONS:
                if time.monotonic() > deadline:
                    raise RunError(f"benchmark exceeded --max-seconds {args.max_seconds:.0f}")
                try:
                    record = one_run(args, impl, servers[impl], cpus)
                except RunError as e:
                    raise RunError(f"{impl}: {e}") from None
                print_run(i + 1, record, measured)
                if measured:
                    records.append(record)
    except RunError as e:
        error = str(e)

    config["load_average_after"] = list(os.getloadavg())
    summary = summarise(records)
    print_summary(summary)
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"config": config, "runs": records, "summary": summary, "error": error}, f, indent=2)
        f.write("\n")
    print(f"load average now {os.getloadavg()[0]:.2f}; summary written to {args.json}")
    if error:
        print(f"run_load: FAILED: {error}", file=sys.stderr)
    return 1 if error else 0


if __name__ == "__main__":
    sys.exit(main())
