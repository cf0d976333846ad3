#!/usr/bin/env python3
"""bench/report.py: turn the logs of one bench/run into bench/results/<date>-<host>.md, SVG charts
of the sweeps beside it, and the README's benchmark section.

usage: report.py --out FILE.md --mode quick|full --elapsed SECONDS [--readme README.md] LOG...

Each LOG holds the output of bench/suite: a WHERE line (native or guest), BEGIN/END lines per
benchmark, and the benchmarks' RESULT and INFO lines (format in bench/bench.h)."""
import argparse
import math
import os
import platform
import re
import shlex
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svg  # noqa: E402
from targets import TARGETS, judge  # noqa: E402

WHERE_TEXT = {
    "native": "native",
    "guest": "guest (TCG)",
}
GUEST_ACTION = ("To judge the targets that depend on protection keys, run bench/run on a machine "
                "whose CPU has PKU (flags pku and ospke): the same benchmarks then run natively.")
GUEST_CAVEAT = ("**guest (TCG)** figures come from tests/vm/pku-vm, a QEMU guest whose software CPU "
                "emulates PKU, on this machine. They are **not hardware figures**: a WRPKRU costs "
                "microseconds there instead of ~12 ns, and system calls, faults, signals and TLB "
                "shootdowns are slowed by different factors, so a ratio measured there says nothing "
                "about whether a target is met on a PKU CPU.")


class Result:
    def __init__(self, fields, where, section):
        self.f = fields
        self.where, self.section = where, section
        self.name = fields["name"]
        self.unit = fields.get("unit", "")
        self.median, self.min, self.max = (float(fields[k]) for k in ("median", "min", "max"))
        self.baseline, self.ratio = fields.get("baseline", ""), float(fields.get("ratio", "nan"))
        self.label = fields.get("label", self.name)
        self.q1, self.q3 = (float(fields[k]) if k in fields else float("nan") for k in ("q1", "q3"))

    def noise(self):
        """Half the interquartile range over the median: how far a typical batch strays from the
        median in this run. nan when the benchmark gave no quartiles."""
        if self.median == 0 or self.q1 != self.q1:
            return float("nan")
        return (self.q3 - self.q1) / 2 / abs(self.median)

    def median_error(self):
        """Standard error of the median, relative: 1.2533 sigma / sqrt(n), sigma estimated from
        the interquartile range (IQR / 1.349). nan without quartiles or a sample count."""
        n = int(self.f.get("n", 0))
        if n < 2 or self.median == 0 or self.q1 != self.q1:
            return float("nan")
        return 1.2533 * (self.q3 - self.q1) / 1.349 / math.sqrt(n) / abs(self.median)


def parse_logs(paths):
    results, infos, sections, loads = [], {}, [], []
    for path in paths:
        where, section = "native", "?"
        with open(path, errors="replace") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("WHERE "):
                    where = line.split()[1]
                elif line.startswith("BEGIN "):
                    section = line.split()[1]
                elif line.startswith("END "):
                    m = re.search(r"seconds=(\S+) status=(\S+)", line)
                    sections.append((section, where, m.group(1) if m else "?", m.group(2) if m else "?"))
                elif line.startswith("RESULT ") or line.startswith("INFO "):
                    try:
                        fields = dict(t.split("=", 1) for t in shlex.split(line)[1:] if "=" in t)
                    except ValueError:
                        continue
                    if line.startswith("INFO "):
                        infos[(fields.get("name"), where)] = fields.get("text", "")
                    else:
                        results.append(Result(fields, where, section))
                elif line.startswith("LOAD ") and where == "native":
                    loads.append(float(line.split()[1]))
    return results, infos, sections, loads


def machine():
    model, flags = "unknown CPU", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown CPU":
                    model = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    pku = "pku" in flags and "ospke" in flags
    return {"host": socket.gethostname(), "cpu": model, "cpus": os.cpu_count(),
            "kernel": platform.release(), "pku": pku}


def commit():
    """The source measured: BENCH_COMMIT when bench/run was given one (a build from an exported
    tree), else this checkout's commit, marked dirty when it has changes."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    try:
        return subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "describe", "--always",
                               "--dirty"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def fmt(v):
    if v != v:
        return "-"
    a = abs(v)
    if a >= 1e5:
        return "%.0f" % v
    if a >= 100:
        return "%.1f" % v
    if a >= 1:
        return "%.2f" % v
    return "%.3g" % v


def results_table(results):
    by_key = {(r.name, r.where): r for r in results}
    rows = ["| benchmark | case | where | median | min - max | noise (+-) | unit | ratio to baseline | "
            "baseline (same run) |",
            "| --- | --- | --- | ---: | ---: | ---: | --- | ---: | --- |"]
    for r in results:
        base = by_key.get((r.baseline, r.where))
        base_text = "itself" if r.baseline == r.name else (base.label if base else r.baseline)
        extra = " ".join("%s=%s" % (k, v) for k, v in r.f.items()
                         if k not in ("name", "label", "unit", "median", "min", "max", "q1", "q3", "n", "baseline",
                                      "ratio", "how"))
        case = r.label + (" (%s)" % extra if extra and r.section not in ("api", "miss") else "")
        noise = r.noise()
        rows.append("| %s | %s | %s | %s | %s - %s | %s | %s | %.3fx | %s |" % (
            r.section, case, WHERE_TEXT.get(r.where, r.where), fmt(r.median), fmt(r.min), fmt(r.max),
            "-" if noise != noise else "%.0f%%" % (100 * noise), r.unit, r.ratio, base_text))
    return "\n".join(rows)


def ratio_error(r, base):
    """Relative uncertainty (two standard errors) of a same-run ratio of medians: the two
    medians' errors added in quadrature (ignoring that interleaving correlates them, which only
    overstates it). A ratio closer than this to its target does not resolve the target."""
    errs = [x.median_error() for x in (r, base) if x is not None and (x is r or x.name != r.name)]
    if not errs or any(e != e for e in errs):
        return float("nan")
    return 2 * math.sqrt(sum(e * e for e in errs))


PASS_THROUGH = ("; this CPU has no PKU, so the preload passed every call through: this is its cost "
                "without keys, not on a PKU CPU, where it also builds its state at start-up")


def targets_table(results, pku):
    by_key = {(r.name, r.where): r for r in results}
    rows = ["| target | figure (median, same-run ratio) | +- (2 s.e.) | where | verdict |",
            "| --- | --- | ---: | --- | --- |"]
    for t in TARGETS:
        for where in ("native", "guest"):
            r = by_key.get((t["name"], where))
            if not r:
                continue
            figure, ok, bound, margin = judge(t, r)
            absolute = t["kind"] in ("median<=", "median>=")
            noise = 2 * r.median_error() * abs(r.median) if absolute else \
                ratio_error(r, by_key.get((r.baseline, where)))
            close = noise == noise and margin < noise
            if where == "guest":
                verdict = "not judged: guest figure, not hardware (on TCG it %s the target)" % (
                    "is within" if ok else "misses")
            else:
                verdict = ("**met**" if ok else "**missed**") + (
                    ", but within the uncertainty: not resolved" if close else "")
            if where == "native" and not pku and t.get("preload"):
                verdict += PASS_THROUGH
            if bound and not ok:
                verdict += "; why: " + bound
            noise_text = "-" if noise != noise else (
                "%.3f %s" % (noise, r.unit) if absolute else "%.0f%%" % (100 * noise))
            rows.append("| %s | %s | %s | %s | %s |" % (t["text"], figure, noise_text, WHERE_TEXT[where], verdict))
    return "\n".join(rows)


CHARTS = [
    # file stem, title, x field, y, series field, filter, logx, logy, x label, y label
    ("miss", "Cache miss: time per access vs live keys", "keys", "ns", "threads",
     lambda r: r.name.startswith("miss.k"), True, True, "live keys (each tags one page)",
     "ns per access (open, touch, close)"),
    ("api-pages", "mpk_mprotect vs mprotect over group size (1 busy thread)", "pages", "ns", "how op",
     lambda r: r.name.startswith("api.") and r.f.get("threads") == "1" and r.f.get("state") == "busy",
     True, True, "pages in the group", "ns per call"),
    ("api-threads", "mpk_mprotect vs mprotect over threads (1-page group, busy threads)", "threads", "ns",
     "how op", lambda r: r.name.startswith("api.") and r.f.get("pages") == "1" and r.f.get("state") == "busy",
     True, True, "other threads", "ns per call"),
    ("wx", "JIT flips: flip pairs per second per thread vs threads", "threads", "rate", "how",
     lambda r: r.name.startswith("wx.") and "_vs_" not in r.name, False, True, "threads flipping",
     "flip pairs/s per thread (none: no flips)"),
    ("kvstore", "Key-value store: requests/s vs threads", "threads", "value", "how",
     lambda r: r.name.startswith("kv.") and "_vs_" not in r.name, False, True, "threads", "requests/s"),
]


def charts(results, out_md):
    stem = os.path.splitext(out_md)[0]
    made = []
    for key, title, xf, ymode, sf, keep, logx, logy, xl, yl in CHARTS:
        for where in ("native", "guest"):
            series = {}
            for r in results:
                if r.where != where or not keep(r) or xf not in r.f:
                    continue
                y = 1e9 / r.median if ymode == "rate" else r.median
                name = " ".join(r.f.get(k, "") for k in sf.split())
                if sf == "threads":
                    name += " thread" + ("s" if name != "1" else "")
                series.setdefault(name, []).append((float(r.f[xf]), y))
            if not series:
                continue
            path = "%s-%s-%s.svg" % (stem, key, where)
            caption = ("measured natively on this machine" if where == "native" else
                       "measured in the QEMU TCG guest (emulated PKU): not hardware figures")
            if svg.line_chart(path, title, xl, yl, sorted(series.items()), caption, logx, logy):
                made.append((title, where, os.path.basename(path)))
    return made


def header(m, args, sections, loads):
    keys_where = "natively (this CPU has PKU)" if m["pku"] else \
        "in tests/vm/pku-vm, a QEMU TCG guest with emulated PKU (this CPU has none)"
    lines = ["- machine: `%s`, %s, %d CPUs, Linux %s" % (m["host"], m["cpu"], m["cpus"], m["kernel"]),
             "- PKU: %s; benchmarks that need keys ran %s" % ("native" if m["pku"] else "none in the CPU", keys_where),
             "- source measured: commit `%s`" % commit(),
             "- mode: %s; bench/run took %s s in all" % (args.mode, args.elapsed),
             "- host load (1-minute load average, %d CPUs) seen at the start of each native benchmark and "
             "around the guest run: %s" % (m["cpus"], "%.2f to %.2f" % (min(loads), max(loads)) if loads else
                                           "not recorded") +
             "; other jobs may share the machine, which is why every case runs interleaved with its baseline"]
    failed = [s for s in sections if s[3] not in ("0", "77")]
    skipped = [s for s in sections if s[3] == "77"]
    if failed:
        lines.append("- **failed**: " + ", ".join("%s (%s, status %s)" % (s[0], s[1], s[3]) for s in failed))
    if skipped:
        lines.append("- skipped: " + ", ".join("%s (%s)" % (s[0], s[1]) for s in skipped))
    lines.append("- time per benchmark: " + ", ".join("%s %s s (%s)" % (s[0], s[2], WHERE_TEXT.get(s[1], s[1]))
                                                      for s in sections))
    return "\n".join(lines)


def notes(infos):
    out = []
    for (name, where), text in sorted(infos.items()):
        if name and not name.startswith("load:"):
            out.append("- `%s` (%s): %s" % (name, WHERE_TEXT.get(where, where), text))
    return "\n".join(out)


def write_readme(path, results_rel, m, md_targets, args):
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    with open(path) as f:
        text = f.read()
    if begin not in text or end not in text:
        print("report.py: %s has no %s ... %s markers; left alone" % (path, begin, end), file=sys.stderr)
        return
    where = "natively" if m["pku"] else "in the TCG guest (figures marked guest are not hardware figures)"
    caveat = [] if m["pku"] else [
        "",
        "**This machine has no PKU, so the targets that need protection keys could not be verified "
        "here.** Their figures come from tests/vm/pku-vm, where QEMU emulates PKU in software: a WRPKRU "
        "costs microseconds instead of nanoseconds and system calls, faults and signals are slowed "
        "by other factors, so those rows are labelled guest (TCG) and are not judged. Only the rows "
        "marked native are hardware figures. Run `bench/run` on a CPU with PKU to judge the rest."]
    body = "\n".join([
        begin,
        "Latest run: [`%s`](%s), %s mode, on `%s` (%s, %d CPUs, Linux %s, PKU %s; key benchmarks %s), "
        "commit `%s`." % (
            os.path.basename(results_rel), results_rel, args.mode, m["host"], m["cpu"], m["cpus"], m["kernel"],
            "native" if m["pku"] else "absent", where, commit())] + caveat + [
        "",
        "Each figure is the median of repeated batches against its baseline measured in the same run; "
        "+- is two standard errors of that ratio (from the batches' interquartile ranges), and a target "
        "closer than that is marked not resolved. The results file has every figure with its min - max "
        "and noise, the charts and the notes.",
        "",
        md_targets,
        end])
    text = text[:text.index(begin)] + body + text[text.index(end) + len(end):]
    with open(path, "w") as f:
        f.write(text)


def counted(path):
    """The counts table bench/count/run wrote, without its own heading."""
    with open(path) as f:
        lines = f.read().splitlines()
    return "\n".join(l for l in lines if not l.startswith("# ")).strip()


def replace_block(text, name, body):
    """text with what stands between <!-- NAME:begin --> and <!-- NAME:end --> replaced by body."""
    begin, end = "<!-- %s:begin -->" % name, "<!-- %s:end -->" % name
    if begin not in text or end not in text:
        print("report.py: README has no %s ... %s markers; left alone" % (begin, end), file=sys.stderr)
        return text
    return text[:text.index(begin)] + begin + "\n" + body + "\n" + text[text.index(end):]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", default="full")
    ap.add_argument("--elapsed", default="?")
    ap.add_argument("--readme")
    ap.add_argument("--counts")
    ap.add_argument("logs", nargs="+")
    args = ap.parse_args()
    results, infos, sections, loads = parse_logs(args.logs)
    m = machine()
    made = charts(results, args.out)
    md_targets = targets_table(results, m["pku"])
    parts = ["# libmpk benchmarks: %s" % os.path.splitext(os.path.basename(args.out))[0], "",
             header(m, args, sections, loads), "", GUEST_CAVEAT + ("" if m["pku"] else " " + GUEST_ACTION), "",
             "Every ratio is a median against the median of its baseline measured in the same run "
             "(batches of the cases interleaved); min - max is the spread over the repeated batches "
             "or runs, noise is half their interquartile range over the median, and +- in the targets "
             "is two standard errors of the ratio of medians (a target closer than that is not "
             "resolved by this run). No single absolute time is a result.", "",
             "Clocks: a batch run by one thread is timed with that thread's CPU time "
             "(CLOCK_THREAD_CPUTIME_ID: its own user and kernel time, not the time the scheduler gives "
             "other jobs on a shared machine); batches that wait for other threads (the kv-store with "
             "2 and 4 threads, the cache-miss sweep, mpk_mprotect, the W^X flips), whole programs "
             "(start-up, LuaJIT) and memcached are timed with the wall clock.", "",
             "## Counted costs", "", counted(args.counts) if args.counts else "(the counting run failed)", "",
             "## Targets", "", md_targets, "", "## Charts", ""]
    parts += ["![%s (%s)](%s)" % (t, WHERE_TEXT[w], p) for t, w, p in made] or ["(no sweep ran)"]
    parts += ["", "## Notes", "", notes(infos), "", "## Every figure", "", results_table(results), ""]
    with open(args.out, "w") as f:
        f.write("\n".join(parts))
    if args.readme:
        write_readme(args.readme, os.path.relpath(args.out, os.path.dirname(os.path.abspath(args.readme))),
                     m, md_targets, args)
        if args.counts:
            with open(args.readme) as f:
                text = f.read()
            with open(args.readme, "w") as f:
                f.write(replace_block(text, "counts", counted(args.counts)))
    print("report.py: wrote %s and %d charts" % (args.out, len(made)))


if __name__ == "__main__":
    main()
