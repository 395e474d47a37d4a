#!/usr/bin/env python3
"""Draws the benchmark results as one PNG, with gnuplot.

Reads compare_results.json (compare_bench), and, when they are there,
counts_results.json (count.py) and header_cost_results.json
(header_cost.py). Every panel shows ratios to plain BSD calls (plain = 1.0,
a dashed line), one bar per implementation (plain, outlet, asio):

  1. speed per workload: each implementation's median rate over plain's
     (higher is faster);
  2. instructions per operation over plain's (lower is fewer), from counts:
     both ends (server and client in one process) where count.py counted
     them, else the client alone (--counts-mode);
  3. compile CPU time of the minimal echo server over plain's at -O0 and
     -O2, and preprocessed lines (lower is cheaper), from header_cost.

With --tls, draws the TLS comparison instead (bench/results/tls_performance.png
by default): the speed panel from tls_results.json (tls_bench, the same
layout as compare_results.json) and the instructions panel from
tls_counts_results.json (count_tls.py: the client alone); plain is plain
OpenSSL code on a descriptor there.

Needs only gnuplot (Debian: gnuplot-nox) with the pngcairo or png terminal;
the gnuplot script is written to a temporary file and run.
Exit status 0 when the PNG was written; 1 otherwise.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

IMPLEMENTATIONS = ("plain", "outlet", "asio")
COLOURS = {"plain": "#9e9e9e", "outlet": "#1f77b4", "asio": "#ff7f0e"}
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input-dir", default=".",
                   help="where the three JSON files are, unless given one by one (default: %(default)s)")
    p.add_argument("--compare", help="default: <input-dir>/compare_results.json (required to exist)")
    p.add_argument("--counts", help="default: <input-dir>/counts_results.json (panel left out if missing)")
    p.add_argument("--header-cost", help="default: <input-dir>/header_cost_results.json (left out if missing)")
    p.add_argument("--output", default=os.path.join(REPO, "bench", "results", "performance.png"),
                   help="the PNG (default: bench/results/performance.png)")
    p.add_argument("--ratio", choices=("medians", "rounds"), default="medians",
                   help="speed panel: ratio of the medians, or median of the ratios within each round "
                        "(steadier when the machine's load changes between rounds) (default: %(default)s)")
    p.add_argument("--counts-mode", choices=("both", "client"), default="both",
                   help="instructions panel: both ends in one process, or the client process alone; "
                        "both falls back to client for counts without both-ends figures (default: %(default)s)")
    p.add_argument("--gnuplot", default="gnuplot", help="the gnuplot program (default: %(default)s)")
    p.add_argument("--tls", action="store_true",
                   help="the TLS chart: tls_results.json and tls_counts_results.json, no header cost")
    args = p.parse_args()
    if args.tls:
        args.compare = args.compare or os.path.join(args.input_dir, "tls_results.json")
        args.counts = args.counts or os.path.join(args.input_dir, "tls_counts_results.json")
        args.header_cost = None
        if args.output == p.get_default("output"):
            args.output = os.path.join(REPO, "bench", "results", "tls_performance.png")
    else:
        args.compare = args.compare or os.path.join(args.input_dir, "compare_results.json")
        args.counts = args.counts or os.path.join(args.input_dir, "counts_results.json")
        args.header_cost = args.header_cost or os.path.join(args.input_dir, "header_cost_results.json")
    return args


def load(path, required):
    if not os.path.exists(path):
        if required:
            sys.exit(f"chart: {path}: no such file (run compare_bench first, or pass --compare)")
        return None
    with open(path) as f:
        data = json.load(f)
    if data.get("error"):
        if required:
            sys.exit(f"chart: {path} records a failed run: {data['error']}")
        print(f"chart: leaving out {path}: it records a failed run: {data['error']}", file=sys.stderr)
        return None
    return data


# --- Reading the three JSON files: one table each, rows of (label, ratios) ---

def compare_rows(data, kind):
    """[(workload, {impl: median rate / plain's median rate, or the median of the round ratios})]."""
    key = "ratio_of_medians" if kind == "medians" else "median_round_ratio"
    rows = []
    for w in data["results"]:
        ratios = {e["impl"]: e[key] for e in w["summary"] if e["impl"] in IMPLEMENTATIONS}
        rows.append((w["workload"], ratios))
    return rows


def machine_line(data):
    m = data.get("machine", {})
    parts = [m.get("cpu_model"), f"{m['cpus_online']} CPUs" if "cpus_online" in m else None, m.get("kernel"),
             m.get("compiler"), f"Asio {m['asio_version']}" if "asio_version" in m else None,
             m.get("build_type")]
    settings = data.get("settings", {})
    if "rounds" in settings:
        parts.append(f"{settings['rounds']} rounds" + (" (--quick)" if settings.get("quick") else ""))
    load = m.get("load_average_before") or data.get("load_average_before")  # tls_bench: at the top level
    if load:
        parts.append(f"load average {load[0]:.2f}")
    return ", ".join(str(x) for x in parts if x)


def counts_mode(data, wanted):
    """"both" if wanted and the counts have both-ends figures, else "client"."""
    if data.get("benchmark") == "count_tls":
        return "client"  # count_tls.py counts the client; its server is the same plain OpenSSL code for all
    if wanted == "both" and any(r.get("both_ends", {}).get("ratio_instructions_to_plain") is not None
                                for r in data["results"]):
        return "both"
    return "client"


def counts_rows(data, mode):
    """[(workload, {impl: instructions per op / plain's}, {impl: instructions per op})] of one mode:
    the client-only figures are at the top of each result, the both-ends ones under "both_ends"."""
    rows, labels = {}, {}
    if data.get("benchmark") == "count_tls":  # rows of {impl, workload, client_per_op, client_ratio}
        for r in data["results"]:
            if r.get("client_ratio") is not None:
                rows.setdefault(r["workload"], {})[r["impl"]] = r["client_ratio"]
                labels.setdefault(r["workload"], {})[r["impl"]] = r["client_per_op"]
        return [(w, ratios, labels[w]) for w, ratios in rows.items()]
    for r in data["results"]:
        f = r.get("both_ends", {}) if mode == "both" else r
        if f.get("ratio_instructions_to_plain") is not None:
            rows.setdefault(r["workload"], {})[r["implementation"]] = f["ratio_instructions_to_plain"]
            labels.setdefault(r["workload"], {})[r["implementation"]] = f["instructions_per_op"]
    return [(w, ratios, labels[w]) for w, ratios in rows.items()]


def header_cost_rows(data):
    rows = []
    for level, entry in data["summary"].items():
        plain = entry["plain"]["cpu_seconds"]["median"]
        rows.append((f"CPU {level}",
                     {impl: entry[impl]["cpu_seconds"]["median"] / plain for impl in IMPLEMENTATIONS}))
    entry = data["summary"]["-O0"]
    plain = entry["plain"]["preprocessed_lines"]
    rows.append(("pp lines", {impl: entry[impl]["preprocessed_lines"] / plain for impl in IMPLEMENTATIONS}))
    return rows


# --- The gnuplot script --------------------------------------------------------

def terminal(gnuplot):
    """pngcairo when this gnuplot has it, else the libgd png terminal."""
    out = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True, timeout=30)
    text = out.stdout + out.stderr
    return "pngcairo" if "pngcairo" in text else "png"


def quote(text):
    """A gnuplot double-quoted string; a newline in text stays a line break."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def datablock(name, rows):
    """Columns: label, one ratio per implementation, then one bar label per implementation."""
    lines = [f"${name} << EOD"]
    for row in rows:
        label, ratios = row[0], row[1]
        texts = row[2] if len(row) > 2 else None  # absolute figures to print on the bars
        values = " ".join(f"{ratios[impl]:.4f}" if impl in ratios else "NaN" for impl in IMPLEMENTATIONS)
        shown = " ".join(quote(f"{texts[impl]:,.0f}" if texts else f"{ratios[impl]:.2f}") if impl in ratios
                         else '""' for impl in IMPLEMENTATIONS)
        lines.append(f"{quote(label)} {values} {shown}")
    lines.append("EOD")
    return "\n".join(lines)


def panel(name, title, ylabel, rows, origin, size, xlabel=""):
    """One grouped-bar panel: plain, outlet, asio per row; dashed line at 1.0."""
    top = max([v for row in rows for v in row[1].values()] + [1.0])
    n = len(IMPLEMENTATIONS)
    bar = 1.0 / (n + 1)  # clustered histogram, gap 1: each bar is 1/(n+1) wide
    plots = []
    for j, impl in enumerate(IMPLEMENTATIONS):
        spec = f"using {j + 2}:xtic(1)" if j == 0 else f"using {j + 2}"
        plots.append(f"${name} {spec} title {quote(impl)} lc rgb {quote(COLOURS[impl])}")
    for j, impl in enumerate(IMPLEMENTATIONS):
        offset = (j - (n - 1) / 2) * bar
        plots.append(f"${name} using ($0{offset:+.4f}):{j + 2}:{j + 2 + n} "
                     f"with labels offset 0,0.6 font ',8' notitle")
    return "\n".join([
        f"set origin {origin[0]},{origin[1]}",
        f"set size {size[0]},{size[1]}",
        f"set title {quote(title)}",
        f"set ylabel {quote(ylabel)}",
        f"set xlabel {quote(xlabel)}",
        f"set yrange [0:{top * 1.3:.3f}]",
        f"set xrange [-0.6:{len(rows) - 0.4}]",
        "set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 linewidth 1.5 "
        "linecolor rgb 'black' front",
        "plot " + ", \\\n     ".join(plots),
        "unset arrow 1",
    ])


def script(args, term, compare, counts, header_cost):
    rows = [("speed", compare_rows(compare, args.ratio))]
    mode = counts_mode(counts, args.counts_mode) if counts else None
    if counts:
        rows.append(("instructions", counts_rows(counts, mode)))
    if header_cost:
        rows.append(("headers", header_cost_rows(header_cost)))
    machine = machine_line(compare)
    if compare.get("benchmark") == "tls_bench":
        heading = "outlet::tls::Stream vs plain OpenSSL vs Asio ssl::stream (sync): medians of alternating rounds"
    else:
        heading = "outlet vs plain BSD calls vs Asio (sync): medians of alternating rounds"
    height = 520 if len(rows) == 1 else 980
    parts = [
        f"set terminal {term} noenhanced size 1200,{height}" + (" font 'sans,10'" if term == "pngcairo" else ""),
        f"set output {quote(os.path.abspath(args.output))}",
        "set datafile missing 'NaN'",
        "set style data histograms",
        "set style histogram clustered gap 1",
        "set style fill solid 0.85 border -1",
        "set boxwidth 0.9 relative",
        "set key top left horizontal",
        "set grid ytics",
        "set xtics nomirror scale 0",
        *[datablock(name, table) for name, table in rows],
        "set multiplot title " + quote(heading + "\n" + machine),
    ]
    top_height = 0.92 if len(rows) == 1 else 0.47
    if args.ratio == "medians":
        speed_title = "speed per workload (median rate / plain's median rate, higher is faster)"
    else:
        speed_title = "speed per workload (median over rounds of rate / plain's rate in the round, higher is faster)"
    parts.append(panel("speed", speed_title,
                       "ratio to plain", rows[0][1], (0, 0.93 - top_height), (1, top_height)))
    bottom = rows[1:]
    width = {("instructions",): [1.0], ("headers",): [1.0], ("instructions", "headers"): [0.62, 0.38]}
    widths = width.get(tuple(name for name, _ in bottom), [])
    x = 0.0
    for (name, table), w in zip(bottom, widths):
        if name == "instructions":
            who = "both ends in one process" if mode == "both" else "the client process alone"
            title = f"instructions per operation / plain's, {who} (callgrind; lower is fewer; labels: instructions/op)"
            ylabel = "ratio to plain"
        else:
            title, ylabel = "echo server: compile cost / plain's (lower is cheaper)", "ratio to plain"
        xlabel = header_cost["config"].get("compiler", "") if name == "headers" else ""
        parts.append(panel(name, title, ylabel, table, (x, 0.0), (w, 0.45), xlabel))
        x += w
    parts.append("unset multiplot")
    return "\n".join(parts) + "\n"


def main():
    args = parse_args()
    compare = load(args.compare, required=True)
    counts = load(args.counts, required=False)
    header_cost = load(args.header_cost, required=False) if args.header_cost else None
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    text = script(args, terminal(args.gnuplot), compare, counts, header_cost)
    with tempfile.NamedTemporaryFile("w", suffix=".gp", prefix="outlet-chart-", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        out = subprocess.run([args.gnuplot, path], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(path)
    if out.returncode != 0 or not os.path.exists(args.output):
        print(f"chart: gnuplot failed ({out.returncode}): {out.stderr[-3000:]}", file=sys.stderr)
        return 1
    panels = ["speed"] + (["instructions/op"] if counts else []) + (["header cost"] if header_cost else [])
    print(f"chart: wrote {args.output} ({', '.join(panels)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
