#!/usr/bin/env python3
"""bench/count/report.py: turns what bench/count/run collected (the cases bench_count ran, the
plugin's counts per window) into counts per operation, libmpk against its baseline, with the
cost model's estimate beside them; checks the counts against a budgets file.

    report.py CASES COUNTS [--commit C] [--units FILE] [--out FILE.md] [--check BUDGETS]

The cost model is a model: estimated ns = the sum of counts x unit costs (bench/count/units, or
units measured on a PKU CPU by bench_units). Its ratios stand beside the counts, never instead."""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = ["user", "kernel", "wrpkru", "rdpkru", "syscall", "sigreturn", "xsave", "xrstor"]
# System call numbers (x86-64) worth naming in the breakdown.
SYSCALLS = {0: "read", 1: "write", 9: "mmap", 10: "mprotect", 11: "munmap", 13: "rt_sigaction",
            14: "rt_sigprocmask", 15: "rt_sigreturn", 24: "sched_yield", 39: "getpid",
            56: "clone", 57: "fork", 59: "execve", 61: "wait4", 186: "gettid", 202: "futex",
            234: "tgkill", 231: "exit_group", 60: "exit", 435: "clone3", 329: "pkey_mprotect",
            330: "pkey_alloc", 331: "pkey_free", 12: "brk", 21: "access", 257: "openat", 3: "close",
            5: "fstat", 262: "newfstatat", 17: "pread64", 158: "arch_prctl", 218: "set_tid_address",
            273: "set_robust_list", 334: "rseq", 302: "prlimit64", 318: "getrandom", 28: "madvise"}

# What each case is, and what it is set against: the same case raw, another raw case, or a floor
# (what the operation cannot do without, with no program to measure it by).
CASES = {
    "switch": ("pkey_set pair, resident key", "raw", "glibc pkey_set pair"),
    "get": ("pkey_get", "raw", "glibc pkey_get"),
    "begin_end": ("mpk_begin + mpk_end", "raw:switch", "glibc pkey_set pair"),
    "mmap": ("mmap + munmap 64 KiB, no key in play", "raw", "raw mmap + munmap"),
    "mprotect": ("mprotect pair (RW, R), no key in play", "raw", "raw mprotect pair"),
    "mmap_keyed": ("mmap + munmap 64 KiB, a key live elsewhere", "raw", "raw mmap + munmap"),
    "mprotect_keyed": ("mprotect pair (RW, R), a key live elsewhere", "raw", "raw mprotect pair"),
    "miss": ("a miss: read round robin over 32 keys", "floor", "floor: 2 pkey_mprotect + 1 rt_sigreturn"),
    "evicted": ("pkey_set pair on an evicted key", "floor", "floor: 2 pkey_mprotect"),
    "churn": ("alloc, tag, set, untag, free", "raw", "glibc, same calls"),
    "all1": ("mpk_mprotect revoke+grant, 1 thread", "raw", "mprotect pair, 1 thread"),
    "all2_idle": ("mpk_mprotect pair, 2 threads (1 idle)", "raw", "mprotect pair, same threads"),
    "all4_idle": ("mpk_mprotect pair, 4 threads (3 idle)", "raw", "mprotect pair, same threads"),
    "all8_idle": ("mpk_mprotect pair, 8 threads (7 idle)", "raw", "mprotect pair, same threads"),
    "all2_busy": ("mpk_mprotect pair, 2 threads (1 reading the group)", "raw", "mprotect pair, same threads"),
    "all4_busy": ("mpk_mprotect pair, 4 threads (3 reading the group)", "raw", "mprotect pair, same threads"),
    "all8_busy": ("mpk_mprotect pair, 8 threads (7 reading the group)", "raw", "mprotect pair, same threads"),
    "wx": ("W^X flip pair (RW, write, RX, call)", "raw", "mprotect flip pair"),
    "fork": ("fork + child exit + wait", "raw", "fork without the preload"),
    "true": ("start-up and exit of /bin/true", "raw", "/bin/true without the preload"),
}
# Cases whose other threads spin while the window is open: their instruction counts depend on the
# scheduler, so only the counts of events are compared and budgeted.
SPINNING = {"all2_busy", "all4_busy", "all8_busy"}


def read_cases(path):
    """{(case, mode): (window, ops, status)} from bench_count's lines."""
    out = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 10 and w[0] == "case":
                out[(w[1], w[7])] = (int(w[3]), int(w[5]), w[9])
    return out


def read_counts(path):
    """{window: {metric: total}} from the plugin's file; sys.N totals under 'sys'."""
    out = {}
    errors = 0
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[:1] == ["errors"]:
                errors = int(w[1])
            if w[:1] != ["window"]:
                continue
            d = {"sys": {}}
            for kv in w[2:]:
                k, v = kv.split("=")
                if k.startswith("sys."):
                    d["sys"][k[4:]] = int(v)
                else:
                    d[k] = int(v)
            out[int(w[1])] = d
    return out, errors


def read_units(path):
    """{unit: ns} and {unit: source} from a units file: 'NAME NS SOURCE...' per line."""
    ns, src = {}, {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            w = line.split(None, 2)
            ns[w[0]] = float(w[1])
            src[w[0]] = w[2] if len(w) > 2 else ""
    return ns, src


def per_op(counts, window, ops):
    c = counts.get(window)
    if c is None or ops <= 0:
        return None
    d = {m: c.get(m, 0) / ops for m in METRICS}
    d["sys"] = {k: v / ops for k, v in c["sys"].items()}
    return d


def model_ns(d, u):
    """The cost model: every counted thing times its unit cost. A signal is the fault or the
    sending, the delivery and the return: counted once, by its rt_sigreturn."""
    return ((d["user"] + d["kernel"]) * u["instruction"] + d["wrpkru"] * u["wrpkru"]
            + d["rdpkru"] * u["rdpkru"] + (d["syscall"] - d["sigreturn"]) * u["syscall"]
            + d["sigreturn"] * u["signal"] + (d["xsave"] + d["xrstor"]) * u["xsave"])


def fmt(x):
    if x is None:
        return "n/a"
    if abs(x - round(x)) < 0.005:
        return str(int(round(x)))
    return "%.2f" % x


def syscall_names(d):
    parts = []
    for k, v in sorted(d["sys"].items(), key=lambda kv: -kv[1]):
        name = SYSCALLS.get(int(k), "nr " + k) if k != "other" else "other"
        parts.append("%s %s" % (fmt(v), name))
    return ", ".join(parts)


def rows(cases, counts, units):
    out = []
    for name, (label, base_kind, base_label) in CASES.items():
        if (name, "libmpk") not in cases:
            continue
        w, ops, status = cases[(name, "libmpk")]
        lib = per_op(counts, w, ops) if status == "ok" else None
        base = None
        if base_kind.startswith("raw"):
            bname = base_kind.split(":")[1] if ":" in base_kind else name
            if (bname, "raw") in cases:
                bw, bops, bst = cases[(bname, "raw")]
                base = per_op(counts, bw, bops) if bst == "ok" else None
        out.append((name, label, base_label, lib, base))
    return out


def table(rs, units):
    lines = ["| operation | libmpk: user / kernel instr, WRPKRU, RDPKRU, syscalls, signals | "
             "baseline: same | model ns: libmpk / baseline | model ratio |",
             "|---|---|---|---|---|"]
    for name, label, base_label, lib, base in rs:
        def cell(d):
            if d is None:
                return "n/a"
            user = "~" + fmt(d["user"]) if name in SPINNING else fmt(d["user"])
            return "%s / %s, %s, %s, %s, %s" % (user, fmt(d["kernel"]), fmt(d["wrpkru"]),
                                                 fmt(d["rdpkru"]), fmt(d["syscall"]), fmt(d["sigreturn"]))
        ml = model_ns(lib, units) if lib else None
        mb = model_ns(base, units) if base else None
        ratio = "%.2fx" % (ml / mb) if ml and mb and name not in SPINNING else "n/a"
        model = "%s / %s" % ("%.0f" % ml if ml else "n/a", "%.0f" % mb if mb else "n/a")
        lines.append("| %s (`%s`) | %s | %s: %s | %s | %s |" % (label, name, cell(lib), base_label,
                                                               cell(base), model, ratio))
    return lines


def breakdown(rs):
    lines = ["| operation | libmpk's system calls per operation | baseline's |", "|---|---|---|"]
    for name, label, base_label, lib, base in rs:
        lines.append("| `%s` | %s | %s |" % (name, syscall_names(lib) if lib else "n/a",
                                            syscall_names(base) if base else "n/a"))
    return lines


def check(rs, path):
    """Budget lines 'CASE METRIC MAX'; returns the lines of cases over budget."""
    by_name = {r[0]: r[3] for r in rs}
    over, seen = [], 0
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            w = line.split()
            if len(w) != 3 or w[1] not in METRICS:
                sys.exit("%s:%d: expected 'CASE METRIC MAX' with METRIC one of %s" % (path, n, ", ".join(METRICS)))
            case, metric, limit = w[0], w[1], float(w[2])
            if case not in CASES:
                sys.exit("%s:%d: unknown case %s" % (path, n, case))
            d = by_name.get(case)
            if d is None:
                over.append("%s:%d: %s %s: no count (the case did not run under libmpk)" % (path, n, case, metric))
                continue
            seen += 1
            if d[metric] > limit + 0.005:
                over.append("%s:%d: %s %s: %s per operation, budget %s" % (path, n, case, metric,
                                                                            fmt(d[metric]), fmt(limit)))
    if seen == 0:
        over.append("%s: no budget was checked" % path)
    return over, seen


BUDGETED = ["user", "wrpkru", "rdpkru", "syscall", "sigreturn"]


def write_budgets(rs, path, commit):
    """Today's counts as budgets: events exactly, user instructions with 2% headroom (so that a
    small change elsewhere in a path is not a failure, while one more WRPKRU or system call is)."""
    import math
    lines = ["# bench/count/budgets: the most each operation may cost under libmpk, per operation, in",
             "# the counting guest (bench/count/run --check; tests/run fails when a case is over).",
             "# Written from the counts of %s by bench/count/run --write-budgets; lower a budget" % commit,
             "# when a path gets cheaper. Events (WRPKRU, RDPKRU, system calls, signals) exactly,",
             "# user instructions +2%; none where other threads spin (their share is the scheduler's).",
             "# CASE METRIC MAX"]
    for name, label, base_label, lib, base in rs:
        if lib is None:
            continue
        for m in BUDGETED:
            if m == "user" and name in SPINNING:
                continue
            v = math.ceil(lib[m] * 1.02 + 1) if m == "user" else math.ceil(lib[m] * 100 - 1e-6) / 100
            lines.append("%s %s %s" % (name, m, fmt(v)))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cases")
    ap.add_argument("counts")
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--units", default=os.path.join(HERE, "units"))
    ap.add_argument("--out")
    ap.add_argument("--check")
    ap.add_argument("--write-budgets")
    a = ap.parse_args()
    cases = read_cases(a.cases)
    counts, errors = read_counts(a.counts)
    if errors:
        sys.exit("report.py: the plugin saw %d markers out of order" % errors)
    if not cases:
        sys.exit("report.py: no case ran")
    units, sources = read_units(a.units)
    rs = rows(cases, counts, units)
    text = ["Counted in the PKU guest (QEMU TCG, one vCPU), commit %s: per operation, libmpk "
            "(LD_PRELOAD) and its baseline in the same boot." % a.commit,
            "Counts are exact for user mode (`~`: other threads spin during the window, so "
            "their share depends on the scheduler); kernel counts vary by about 1%.", ""]
    text += table(rs, units)
    text += ["", "System calls by name:", ""] + breakdown(rs)
    text += ["", "**Cost model** (a model, not a measurement): estimated ns = instructions x %s + "
             "WRPKRU x %s + RDPKRU x %s + system calls x %s + signals x %s + XSAVE/XRSTOR x %s. Unit costs:"
             % tuple(fmt(units[k]) for k in ("instruction", "wrpkru", "rdpkru", "syscall", "signal", "xsave")),
             ""]
    text += ["- %s: %s ns (%s)" % (k, fmt(v), sources.get(k, "")) for k, v in units.items()]
    print("\n".join(text))
    if a.out:
        with open(a.out, "w") as f:
            f.write("# Counted costs per operation\n\n" + "\n".join(text) + "\n")
    if a.write_budgets:
        write_budgets(rs, a.write_budgets, a.commit)
    if a.check:
        over, seen = check(rs, a.check)
        for o in over:
            print("OVER BUDGET: " + o)
        print("\nbudgets: %d checked, %d over" % (seen, len(over)))
        return 1 if over else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
