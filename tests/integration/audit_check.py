#!/usr/bin/env python3
"""tests/integration/audit_check.py: the audit log's integration checks (issue: audit events).

  audit_check.py abc PRELOAD PROGRAM MPK_REPORT
      it_audit_abc under mode = audit (JSON and text logs), enforce and backtrace = off: the
      program's output and end are those of a run without libmpk; the records name A, B and C
      with module+offset in every frame (the fault's included); mpk-report names C even when
      the log has no function names (addr2line).
  audit_check.py threads PRELOAD PROGRAM
      it_audit_threads: records from four threads at once, one write each (every line valid
      JSON, none lost), and one from inside a signal handler, each naming its function.
  audit_check.py events PRELOAD PROGRAM
      it_audit_events: more keys than the hardware has, the reserved signal and a write into
      libmpk's state (in a child, which dies by SIGSEGV), each recorded naming K, S or T;
      in enforce mode the reserved signal and the tampering are still written, the rest not.
  audit_check.py wx PRELOAD PROGRAM CONFIG
      it_wx_cases cross under [wx] cross_thread = allow: the other thread's write during a
      window is recorded as a `wx` event in both modes (the setting asks for it); conversions
      are recorded in audit mode only (a JIT's stderr stays its own); the program passes.
  audit_check.py scan PRELOAD PROGRAM PLUGIN
      it_audit_scan: WRPKRU bytes found in the program at start-up and in a library loaded with
      dlopen; libmpk's and glibc's own sites labelled benign; a library found through the
      program's RUNPATH still loads (libmpk keeps the caller's search path); enforce writes none.
  audit_check.py foreign PRELOAD PROGRAM CONFIG MPK_REPORT
      it_new_key_threads: pool threads started before the keys fault on them; in audit mode each
      fault is one foreign_thread_fault record naming the key, the allocating thread and the
      faulting thread (not a violation), the program's outcome that of a run without libmpk;
      faults on rights a thread was given stay violations; mpk-report lists them; enforce
      writes none; with CONFIG (new_key = all_threads) there are none to write.
  audit_check.py remap PRELOAD PROGRAM CONFIG MPK_REPORT
      it_remap_key: a slot tagged with a live key re-mapped three ways; in audit mode each is one
      remap_drops_key record naming the key, the range, the call and the outcome (reset, the
      kernel's rule, by default), with a backtrace into the program, and the program's outcome
      that of a run without libmpk; with CONFIG (on_remap = keep) the outcome is kept and the
      key stays; mpk-report lists them; enforce writes none.

Exit status 0 pass, 1 fail, 77 skip (no PKU, for abc)."""

import json
import os
import re
import signal
import subprocess
import sys
import shutil
import tempfile

failures = []
workdirs = []
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
TEXT_HEAD = re.compile(r"^libmpk: " + TIME + r" pid=\d+ tid=\d+ [a-z_]+( [a-z_]+=(\"(?:[^\"\\]|\\.)*\"|\S+))*$")
TEXT_LOC = re.compile(r"^    (pc|#\d+) 0x[0-9a-f]+( \?| .+\+0x[0-9a-f]+( \S+)?)$")


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)
    return ok


def run(argv, preload=None, options=None, cwd=None, config=None):
    env = dict(os.environ)
    env.pop("LIBMPK_CONFIG", None)
    if config:
        env["LIBMPK_CONFIG"] = config
    env.pop("LIBMPK_OPTIONS", None)
    env.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = preload
    if options:
        env["LIBMPK_OPTIONS"] = options
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600, cwd=cwd)


def mpk_report(report, log):
    """tools/mpk-report on log, names only from the log (no addr2line)."""
    return subprocess.run([sys.executable, report, "--no-addr2line", log], capture_output=True, text=True,
                          timeout=300)


def json_records(path):
    """Every line one JSON object (the check fails on the first line that is not)."""
    recs = []
    with open(path, encoding="utf-8") as f:
        for no, line in enumerate(f, 1):
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                check(False, f"{path}:{no} is valid JSON ({e})")
                return recs
            if not isinstance(r, dict) or not line.endswith("}\n"):
                check(False, f"{path}:{no} is one JSON object on one line")
                return recs
            recs.append(r)
    check(True, f"all {len(recs)} lines of {os.path.basename(path)} are valid JSON objects")
    for r in recs:
        for k in ("time", "pid", "tid", "event", "key", "address"):
            if k not in r:
                check(False, f"record {r.get('event')} has the common member {k}")
                return recs
        if not re.fullmatch(TIME, r["time"]):
            check(False, f"time {r['time']!r} is UTC with microseconds")
    return recs


def one(recs, event, **want):
    found = [r for r in recs if r["event"] == event and all(r.get(k) == v for k, v in want.items())]
    check(len(found) == 1, f"one {event} record with {want} (found {len(found)})")
    return found[0] if found else None


def frames_located(r, program):
    """module+offset in every frame, and the program's frames in the program."""
    bt = r.get("backtrace") or []
    ok = bool(bt) and all(f.get("module") and re.fullmatch(r"0x[0-9a-f]+", f.get("offset") or "") for f in bt)
    check(ok, f"{r['event']}: every frame has module+offset")
    return bt


def parse_info(stderr):
    m = re.search(r"k1=(\d+) k2=(\d+) forged=(\d+) p1=(0x[0-9a-f]+) p2=(0x[0-9a-f]+)", stderr)
    if not m:
        return None
    return {"k1": int(m.group(1)), "k2": int(m.group(2)), "forged": int(m.group(3)),
            "p1": m.group(4), "p2": m.group(5)}


def check_b_refused(res, mode):
    check(re.search(r"B: pkey_set\(\d+\) = -1 \(Invalid argument\)", res.stderr) is not None,
          f"{mode}: B's pkey_set on the forged number fails with EINVAL")


def abc(preload, program, report):
    d = tempfile.mkdtemp(prefix="audit-abc-")
    workdirs.append(d)
    plain_ab = run([program, "ab"])
    if plain_ab.returncode == 77:
        print("SKIP: no PKU")
        return 77
    plain_abc = run([program, "abc"])
    check(plain_ab.returncode == 0, "without libmpk, steps A and B run to completion")
    check(plain_abc.returncode == -signal.SIGSEGV, "without libmpk, step C dies by SIGSEGV")
    name = os.path.basename(program)

    # -- audit, JSON: A and B named, the program unchanged
    log = os.path.join(d, "ab.json")
    res = run([program, "ab"], preload, f"mode=audit:log_format=json:log={log}")
    info = parse_info(res.stderr)
    check(res.returncode == 0, f"audit: A and B run to completion (status {res.returncode})")
    check(res.stdout == plain_ab.stdout, "audit: same output as without libmpk")
    check_b_refused(res, "audit")
    recs = json_records(log)
    if info:
        r = one(recs, "free_in_use", key=info["k1"])
        if r:
            check(r.get("bytes") == 4096, "free_in_use: 4096 bytes still tagged")
            bt = frames_located(r, program)
            check(bt and bt[0].get("function") == "A" and bt[0]["module"].endswith("/" + name),
                  f"free_in_use: first frame is A in {name} (got {bt[0] if bt else None})")
        r = one(recs, "bad_key", key=info["forged"])
        if r:
            check(r.get("op") == "pkey_set", "bad_key: op pkey_set")
            bt = frames_located(r, program)
            check(bt and bt[0].get("function") == "B", f"bad_key: first frame is B (got {bt[0] if bt else None})")
            check(any(f.get("function") == "main" for f in bt), "bad_key: main is in the backtrace")

    # -- audit, JSON: C dies by SIGSEGV after its record
    log = os.path.join(d, "abc.json")
    res = run([program, "abc"], preload, f"mode=audit:log_format=json:log={log}")
    info = parse_info(res.stderr)
    check(res.returncode == -signal.SIGSEGV, f"audit: C dies by SIGSEGV (status {res.returncode})")
    check(res.stdout == plain_abc.stdout, "audit: same output as without libmpk up to the fault")
    recs = json_records(log)
    if info:
        r = one(recs, "violation", key=info["k2"], address=info["p2"])
        if r:
            check(r.get("access") == "w", "violation: a write")
            pc = r.get("pc") or {}
            check(bool(pc.get("module")) and pc["module"].endswith("/" + name) and bool(pc.get("offset")),
                  f"violation: the faulting pc has module+offset from the fault handler ({pc})")
            check(pc.get("function") == "C", "violation: the record names C")
            bt = frames_located(r, program)
            check(bt and bt[0].get("offset") == pc.get("offset"), "violation: the backtrace starts at the faulting pc")
        # Offline: the same log without names; mpk-report must find C through addr2line.
        bare = os.path.join(d, "abc-bare.json")
        with open(bare, "w") as f:
            for rec in recs:
                for loc in [rec.get("pc")] + (rec.get("backtrace") or []):
                    if loc:
                        loc["function"] = None
                f.write(json.dumps(rec) + "\n")
        rep = subprocess.run([sys.executable, report, bare], capture_output=True, text=True, timeout=300)
        check(rep.returncode == 0, f"mpk-report reads the log (status {rep.returncode}: {rep.stderr.strip()})")
        check(re.search(r"violation\s+C \(.*it_audit_abc\.c:\d+\) " + re.escape(name) + r"\+0x", rep.stdout) is not None,
              "mpk-report names C, with its source line, from module+offset alone")
        check(re.search(r"free_in_use\s+A \(", rep.stdout) is not None and
              re.search(r"bad_key\s+B \(", rep.stdout) is not None, "mpk-report names A and B as call sites")
        if failures:
            print(rep.stdout)

    # -- audit, text: one line per record, then indented locations
    log = os.path.join(d, "abc.txt")
    res = run([program, "abc"], preload, f"mode=audit:log_format=text:log={log}")
    info = parse_info(res.stderr)
    check(res.returncode == -signal.SIGSEGV, "audit, text log: C dies by SIGSEGV")
    lines = open(log).read().splitlines()
    bad = [l for l in lines if not TEXT_HEAD.match(l) and not TEXT_LOC.match(l)]
    check(lines and not bad, f"text log: every line is a record or a location ({bad[:2]})")
    if info:
        txt = "\n".join(lines)
        check(re.search(r" free_in_use key=%d .*\n    #0 0x[0-9a-f]+ \S*%s\+0x[0-9a-f]+ A\n" % (info["k1"], re.escape(name)), txt) is not None,
              "text log: free_in_use, then frame #0 in A")
        check(re.search(r" bad_key key=%d op=pkey_set .*\n    #0 0x[0-9a-f]+ \S+\+0x[0-9a-f]+ B\n" % info["forged"], txt) is not None,
              "text log: bad_key with the forged number, then frame #0 in B")
        check(re.search(r" violation key=%d addr=%s access=w .*\n    pc 0x[0-9a-f]+ \S*%s\+0x[0-9a-f]+ C\n    #0 " % (info["k2"], info["p2"], re.escape(name)), txt) is not None,
              "text log: violation, its pc in C, then the backtrace")
        rep = subprocess.run([sys.executable, report, log], capture_output=True, text=True, timeout=300)
        check(rep.returncode == 0 and re.search(r"violation\s+C ", rep.stdout) is not None, "mpk-report reads the text log and names C")

    # -- enforce: misuse refused, not written; the fault is the program's business
    log = os.path.join(d, "enforce.json")
    res = run([program, "abc"], preload, f"mode=enforce:log_format=json:log={log}")
    check(res.returncode == -signal.SIGSEGV, "enforce: C dies by SIGSEGV")
    check(res.stdout == plain_abc.stdout, "enforce: same output as without libmpk")
    check_b_refused(res, "enforce")
    recs = json_records(log) if os.path.getsize(log) else []
    misuse = [r["event"] for r in recs if r["event"] not in ("tamper", "reserved_signal", "error")]
    check(not misuse, f"enforce: no misuse, fault or scan records ({misuse[:4]})")

    # -- backtrace = off: no backtraces, the fault's module+offset still there
    log = os.path.join(d, "nobt.json")
    res = run([program, "abc"], preload, f"mode=audit:log_format=json:backtrace=off:log={log}")
    check(res.returncode == -signal.SIGSEGV, "backtrace = off: C dies by SIGSEGV")
    recs = json_records(log)
    check(recs and all("backtrace" not in r for r in recs), "backtrace = off: no record has a backtrace")
    viol = [r for r in recs if r["event"] == "violation"]
    check(len(viol) == 1 and (viol[0].get("pc") or {}).get("function") == "C" and viol[0]["pc"].get("offset"),
          "backtrace = off: the violation still has module+offset and C")
    return 1 if failures else 0


def scan(preload, program, plugin):
    d = tempfile.mkdtemp(prefix="audit-scan-")
    workdirs.append(d)
    name = os.path.basename(program)
    plain = run([program, plugin])
    check(plain.returncode == 0, f"without libmpk the program loads both libraries ({plain.stdout.strip()} {plain.stderr.strip()})")
    log = os.path.join(d, "scan.json")
    res = run([program, plugin], preload, f"mode=audit:log_format=json:log={log}")
    check(res.returncode == 0 and res.stdout == plain.stdout,
          f"audit: same output, status 0 (a library found through the program's RUNPATH loads): "
          f"{res.returncode} {res.stdout.strip()!r} {res.stderr.strip()[:300]!r}")
    recs = json_records(log)
    found = [r for r in recs if r["event"] in ("wrpkru_found", "xrstor_found")]

    def site(fn, module_suffix, when):
        hits = [r for r in found if r.get("function") == fn and r.get("module", "").endswith(module_suffix)]
        check(len(hits) == 1, f"one WRPKRU site in {fn} ({module_suffix}) (found {len(hits)})")
        if hits:
            h = hits[0]
            check(h["event"] == "wrpkru_found" and h.get("insn") == "wrpkru" and h.get("benign") is False,
                  f"{fn}: wrpkru, not benign")
            check(h.get("found_at") == when, f"{fn}: found at {when} (got {h.get('found_at')})")
            check("mpk-audit" in (h.get("message") or ""), f"{fn}: the record points at mpk-audit")
            sym = symbol_range(h["module"], fn)
            off = int(h["offset"], 16)
            check(sym is not None and sym[0] <= off < sym[0] + sym[1],
                  f"{fn}: offset {h['offset']} lies in the function ({sym})")
        return hits

    site("has_wrpkru", "/" + name, "start-up")
    site("plugin_wrpkru", "/" + os.path.basename(plugin), "dlopen")
    site("runpath_wrpkru", "/libit_audit_runpath.so", "dlopen")
    mine = [r for r in found if os.path.basename(r.get("module", "")).startswith("libmpk")]
    check(mine and all(r.get("benign") is True and "libmpk itself" in (r.get("benign_reason") or "") for r in mine),
          f"libmpk's own {len(mine)} sites are labelled benign")
    glibc = [r for r in found if r.get("module", "").endswith("/libc.so.6") and r.get("function") == "pkey_set"]
    check(glibc and all(r.get("benign") is True for r in glibc), "glibc's pkey_set is labelled benign")
    check(all(r.get("module") and r.get("offset") for r in found), "every finding has module+offset")

    log = os.path.join(d, "enforce.json")
    res = run([program, plugin], preload, f"mode=enforce:log_format=json:log={log}")
    check(res.returncode == 0, "enforce: the program runs")
    check(os.path.getsize(log) == 0, "enforce: no scan (no records)")
    return 1 if failures else 0


def threads(preload, program):
    d = tempfile.mkdtemp(prefix="audit-threads-")
    workdirs.append(d)
    plain = run([program])
    if plain.returncode == 77:
        print("SKIP: no PKU")
        return 77
    log = os.path.join(d, "threads.json")
    res = run([program], preload, f"mode=audit:log_format=json:log={log}")
    m = re.search(r"forged=(\d+) threads=(\d+) calls=(\d+)", res.stderr)
    check(res.returncode == 0 and res.stdout == plain.stdout, f"audit: same output, status 0 ({res.returncode})")
    recs = json_records(log)
    if not m:
        return check(False, "the program says which key it forged") or 1
    forged, nthreads, calls = map(int, m.groups())
    from_threads = [r for r in recs if r["event"] == "bad_key" and r["key"] == forged]
    check(len(from_threads) == nthreads * calls, f"{nthreads * calls} records from the threads (got {len(from_threads)})")
    check(len({r["tid"] for r in from_threads}) == nthreads, "from as many threads")
    check(all((r.get("backtrace") or [{}])[0].get("function") == "bad_from_thread" for r in from_threads),
          "each names bad_from_thread first")
    in_handler = [r for r in recs if r["event"] == "bad_key" and r["key"] == forged + 1]
    check(len(in_handler) == 1, "one record from the signal handler")
    if in_handler:
        bt = in_handler[0].get("backtrace") or []
        check(bt and bt[0].get("function") == "on_usr1", f"it names on_usr1 first ({bt[:1]})")
        check(any(f.get("function") == "main" for f in bt), "and the handler's frames lead back to main")
    return 1 if failures else 0


def events(preload, program):
    d = tempfile.mkdtemp(prefix="audit-events-")
    workdirs.append(d)
    plain = run([program])
    if plain.returncode == 77:
        print("SKIP: no PKU")
        return 77
    for mode in ("audit", "enforce"):
        log = os.path.join(d, f"{mode}.json")
        res = run([program], preload, f"mode={mode}:log_format=json:log={log}")
        check(res.returncode == 0 and res.stdout == plain.stdout, f"{mode}: same output, status 0 ({res.returncode})")
        m = re.search(r"sigaction\((\d+)\) = (-?\d+)", res.stderr)
        check(m is not None and m.group(2) == "-1", f"{mode}: sigaction on the reserved signal is refused")
        c = re.search(r"child (\d+) ended by signal (\d+)", res.stderr)
        check(c is not None and int(c.group(2)) == signal.SIGSEGV, f"{mode}: the tampering child dies by SIGSEGV")
        recs = json_records(log)
        kinds = [r["event"] for r in recs if not r["event"].endswith("_found")]
        first = lambda r: ((r.get("backtrace") or [{}])[0]).get("function")
        ex = [r for r in recs if r["event"] == "keys_exceeded"]
        rs = [r for r in recs if r["event"] == "reserved_signal"]
        tp = [r for r in recs if r["event"] == "tamper"]
        if mode == "audit":
            check(len(ex) == 1 and ex[0].get("live_keys", 0) >= 14 and first(ex[0]) == "K",
                  f"audit: keys_exceeded with the live keys, naming K ({ex[:1]})")
            check(len(rs) == 1 and m and rs[0].get("signal") == int(m.group(1)) and first(rs[0]) == "S",
                  "audit: reserved_signal with the signal number, naming S")
            check(len(tp) == 1 and c and tp[0]["pid"] == int(c.group(1)) and (tp[0].get("pc") or {}).get("function") == "T"
                  and first(tp[0]) == "T", "audit: tamper from the child, its pc and backtrace in T")
        else:
            check(not ex, "enforce: no keys_exceeded record")
            check(len(rs) == 1 and "backtrace" not in rs[0], "enforce: the reserved signal is written (no backtrace)")
            check(len(tp) == 1 and (tp[0].get("pc") or {}).get("function") == "T",
                  "enforce: the tampering is written, its pc named T")
            check(set(kinds) <= {"reserved_signal", "tamper", "error"}, f"enforce: nothing else ({kinds})")
    return 1 if failures else 0


def wx(preload, program, config):
    d = tempfile.mkdtemp(prefix="audit-wx-")
    workdirs.append(d)
    for mode in ("audit", "enforce"):
        log = os.path.join(d, f"{mode}.json")
        res = run([program, "cross"], preload, f"mode={mode}:log_format=json:log={log}", config=config)
        if res.returncode == 77:
            print("SKIP: no PKU")
            return 77
        check(res.returncode == 0, f"{mode}: it_wx_cases cross passes ({res.returncode}: {res.stdout[-300:]})")
        recs = [r for r in json_records(log) if r["event"] == "wx"]
        conv = [r for r in recs if "converted" in r.get("message", "")]
        cross = [r for r in recs if "cross-thread write" in r.get("message", "")]
        check(len(cross) == 1 and cross[0].get("address") is not None and cross[0]["tid"] != cross[0]["pid"],
              f"{mode}: the other thread's write (cross_thread = allow reports it) is recorded once, from that thread ({cross})")
        if mode == "enforce":
            check(not conv, f"enforce: no record of conversions (a JIT's stderr stays its own) ({conv[:1]})")
            continue
        check(len(conv) >= 1 and all(r.get("op") == "mprotect" and r.get("address") and r.get("bytes", 0) >= 4096
                                     for r in conv), f"audit: the conversion is recorded with op, address, bytes ({conv[:1]})")
    return 1 if failures else 0


def foreign_ids(stderr):
    m = re.search(r"main tid=(\d+) key_rw=(\d+) key_ro=(\d+)", stderr)
    pool = [int(t) for t in re.findall(r"pool tid=(\d+)", stderr)]
    late = re.search(r"late tid=(\d+)", stderr)
    if not m or not pool or not late:
        return None
    return {"main": int(m.group(1)), "keys": {int(m.group(2)), int(m.group(3))}, "pool": pool,
            "late": int(late.group(1))}


def foreign(preload, program, config, report):
    d = tempfile.mkdtemp(prefix="audit-foreign-")
    workdirs.append(d)
    plain = run([program, "kernel"])
    if plain.returncode == 77:
        print("SKIP: no PKU")
        return 77
    log = os.path.join(d, "audit.json")
    res = run([program, "kernel"], preload, f"mode=audit:log_format=json:log={log}")
    check(res.returncode == plain.returncode == 0 and res.stdout == plain.stdout,
          f"audit: the pool threads fault as without libmpk, same output ({res.returncode}: {res.stdout.strip()})")
    ids = foreign_ids(res.stderr)
    check(ids is not None, "the program names its threads and keys")
    recs = json_records(log)
    ff = [r for r in recs if r["event"] == "foreign_thread_fault"]
    if ids:
        for tid in ids["pool"]:
            mine = [r for r in ff if r["tid"] == tid]
            check(len(mine) == 4 and {r["key"] for r in mine} == ids["keys"] and
                  all(r.get("alloc_tid") == ids["main"] and r.get("fault_tid") == tid and r.get("address")
                      and r.get("access") in ("r", "w") for r in mine),
                  f"pool thread {tid}: each of its 4 faults is a foreign_thread_fault naming the key, "
                  f"alloc_tid {ids['main']} and fault_tid {tid} ({mine[:1]})")
        others = [r for r in ff if r["tid"] not in ids["pool"]]
        check(not others, f"no foreign_thread_fault from the allocating or the late thread ({others[:1]})")
        viol = [r for r in recs if r["event"] == "violation"]
        check(sorted(r["tid"] for r in viol) == sorted([ids["main"], ids["late"]]),
              f"the writes to the read-only key by threads that were given its rights stay violations ({viol})")
        check(ff and "new_key = all_threads" in ff[0].get("message", ""), f"the message names the remedy ({ff[:1]})")
    rep = mpk_report(report, log)
    check(rep.returncode == 0 and "foreign_thread_fault" in rep.stdout,
          f"mpk-report lists the foreign_thread_fault records (status {rep.returncode})")
    print(rep.stdout)

    log = os.path.join(d, "enforce.json")
    res = run([program, "kernel"], preload, f"mode=enforce:log_format=json:log={log}")
    check(res.returncode == 0, "enforce: the program's outcome is the same")
    recs = json_records(log) if os.path.getsize(log) else []
    check(not [r for r in recs if r["event"] == "foreign_thread_fault"], "enforce: no foreign_thread_fault record")

    log = os.path.join(d, "all.json")
    res = run([program, "all"], preload, f"mode=audit:log_format=json:log={log}", config=config)
    check(res.returncode == 0, f"new_key = all_threads: the pool threads have the rights ({res.stdout.strip()})")
    recs = json_records(log) if os.path.exists(log) else []
    check(not [r for r in recs if r["event"] == "foreign_thread_fault"], "new_key = all_threads: no foreign_thread_fault")
    return 1 if failures else 0

def holders(preload, program, report):
    """keys_exceeded names each module that holds keys, with how many (issue 20 item 4)."""
    d = tempfile.mkdtemp(prefix="audit-holders-")
    workdirs.append(d)
    if run([program]).returncode == 77:
        print("SKIP: no PKU")
        return 77
    log = os.path.join(d, "audit.json")
    res = run([program], preload, f"mode=audit:log_format=json:log={log}")
    check(res.returncode == 0, f"audit: the program gets its key ({res.returncode}: {res.stderr.strip()})")
    ex = [r for r in json_records(log) if r["event"] == "keys_exceeded"]
    check(len(ex) == 1, f"one keys_exceeded record ({len(ex)})")
    if ex:
        held = {os.path.basename(h.get("module") or "?"): h.get("keys") for h in ex[0].get("holders") or []}
        check(held == {"libit_key_grab_a.so": 11, "libit_key_grab_b.so": 3, "it_key_holders": 1},
              f"holders name each library with its keys (the kernel's that one took through syscall() too) "
              f"and the program with its first ({ex[0].get('holders')})")
        check("libit_key_grab_a.so (11)" in ex[0].get("message", ""),
              f"the message names the top holder ({ex[0].get('message')})")
    rep = mpk_report(report, log)
    check(rep.returncode == 0 and re.search(r"\s11  libit_key_grab_a\.so  \(", rep.stdout)
          and re.search(r"\s3  libit_key_grab_b\.so  \(", rep.stdout),
          f"mpk-report shows who holds the keys (status {rep.returncode})")
    print(rep.stdout)

    log = os.path.join(d, "audit.txt")
    res = run([program], preload, f"mode=audit:log_format=text:log={log}")
    with open(log, encoding="utf-8") as f:
        text = f.read()
    line = next((l for l in text.splitlines() if " keys_exceeded " in l), "")
    check(re.search(r" holders=\S*libit_key_grab_a\.so:11,\S*libit_key_grab_b\.so:3,\S*it_key_holders:1( |$)", line),
          f"text: holders=MODULE:N,... on the record's line ({line})")
    rep = mpk_report(report, log)
    check(rep.returncode == 0 and re.search(r"\s11  libit_key_grab_a\.so  \(", rep.stdout)
          and re.search(r"\s3  libit_key_grab_b\.so  \(", rep.stdout),
          f"mpk-report reads the holders from the text log too (status {rep.returncode}: {rep.stderr.strip()})")
    return 1 if failures else 0


def remap_ids(stderr):
    return [(m.group(1), int(m.group(2), 16), int(m.group(3)))
            for m in re.finditer(r"it_remap_key: (.+) at (0x[0-9a-f]+) key=(\d+)", stderr)]


REMAP_OPS = {"mmap MAP_FIXED": "mmap(MAP_FIXED)", "mremap MREMAP_FIXED": "mremap",
             "munmap + mmap": "mmap after munmap"}


def remap_records(log, ids, outcome, program):
    recs = json_records(log)
    rd = [r for r in recs if r["event"] == "remap_drops_key"]
    check(len(rd) == len(ids) == 3, f"one remap_drops_key record per re-mapping ({len(rd)} for {len(ids)})")
    for (way, addr, key), r in zip(ids, rd + [{}] * len(ids)):  # in the program's order
        check(r.get("key") == key and r.get("bytes") == 8192 and r.get("op") == REMAP_OPS[way]
              and r.get("outcome") == outcome and int(r.get("address") or "0", 16) == addr
              and int(r.get("end") or "0", 16) == addr + 8192,
              f"{way}: the record names key {key}, [{addr:#x}, {addr + 8192:#x}), 8192 bytes, "
              f"op {REMAP_OPS[way]!r}, outcome {outcome} ({r})")
        bt = frames_located(r, program) if r else []
        check(any(os.path.basename(program) in (f.get("module") or "") for f in bt),
              f"{way}: the backtrace reaches the program ({bt[:3]})")
    if rd:
        want = "on_remap = keep" if outcome == "kept" else "on_remap = keep keeps"
        check(want in rd[0].get("message", ""), f"the message says what on_remap does ({rd[0].get('message')})")
    return rd


def remap(preload, program, config, report):
    d = tempfile.mkdtemp(prefix="audit-remap-")
    workdirs.append(d)
    plain = run([program, "reset"])
    if plain.returncode == 77:
        print("SKIP: no PKU")
        return 77
    log = os.path.join(d, "audit.json")
    res = run([program, "reset"], preload, f"mode=audit:log_format=json:log={log}")
    check(res.returncode == plain.returncode == 0 and res.stdout == plain.stdout,
          f"audit, on_remap = reset: the key is dropped as without libmpk ({res.returncode}: {res.stderr.strip()[-300:]})")
    ids = remap_ids(res.stderr)
    remap_records(log, ids, "reset", program)
    rep = mpk_report(report, log)
    check(rep.returncode == 0 and "remap_drops_key" in rep.stdout,
          f"mpk-report lists the remap_drops_key records (status {rep.returncode})")
    print(rep.stdout)

    log = os.path.join(d, "keep.json")
    res = run([program, "keep"], preload, f"mode=audit:log_format=json:log={log}", config=config)
    check(res.returncode == 0, f"audit, on_remap = keep: the key stays ({res.stderr.strip()[-300:]})")
    remap_records(log, remap_ids(res.stderr), "kept", program)

    log = os.path.join(d, "enforce.json")
    res = run([program, "reset"], preload, f"mode=enforce:log_format=json:log={log}")
    check(res.returncode == 0, "enforce: the program's outcome is the same")
    recs = json_records(log) if os.path.exists(log) and os.path.getsize(log) else []
    check(not [r for r in recs if r["event"] == "remap_drops_key"], "enforce: no remap_drops_key record")
    return 1 if failures else 0


def symbol_range(path, fn):
    out = subprocess.run(["nm", "-S", "--defined-only", path], capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[3] == fn:
            return int(parts[0], 16), int(parts[1], 16)
    return None


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "abc" and len(sys.argv) == 5:
        status = abc(*sys.argv[2:5])
    elif what == "threads" and len(sys.argv) == 4:
        status = threads(*sys.argv[2:4])
    elif what == "events" and len(sys.argv) == 4:
        status = events(*sys.argv[2:4])
    elif what == "holders" and len(sys.argv) == 5:
        status = holders(*sys.argv[2:5])
    elif what == "wx" and len(sys.argv) == 5:
        status = wx(*sys.argv[2:5])
    elif what == "foreign" and len(sys.argv) == 6:
        status = foreign(*sys.argv[2:6])
    elif what == "remap" and len(sys.argv) == 6:
        status = remap(*sys.argv[2:6])
    elif what == "scan" and len(sys.argv) == 5:
        status = scan(*sys.argv[2:5])
    else:
        print(__doc__)
        sys.exit(2)
    print(("FAIL" if status == 1 else "PASS" if status == 0 else "SKIP") + f" audit {what}")
    for d in workdirs:
        if status == 1:
            print(f"logs kept in {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)
    sys.exit(status)
