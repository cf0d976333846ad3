#!/usr/bin/env python3
# tests/audit/check_json.py: the --json test. Runs mpk-audit --json on the sample, the static
# sample and a text file, parses the one document it prints and checks every field the README
# promises. Usage: check_json.py MPK_AUDIT SAMPLE STATIC_SAMPLE NOT_ELF
import json
import subprocess
import sys

tool, sample, static, not_elf = sys.argv[1:5]
run = subprocess.run([tool, "--json", sample, static, not_elf], capture_output=True)
failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


check(run.returncode == 2, "exit status 2 (one input is not ELF)")
check(b"not an ELF file" in run.stderr, "the error is also on stderr")
doc = json.loads(run.stdout)   # raises, and fails the test, on invalid JSON
objs = {o["path"]: o for o in doc["objects"]}
check(doc["summary"]["exit_status"] == 2 and doc["summary"]["errors"] == 1, "summary")

s = objs[sample]
check(s["error"] is None and s["elf_type"] == "executable", "sample is a dynamic executable")
check(s["interpreter"] is not None and s["preload_reachable"] is True, "sample reachable")
by_fn = {f["function"]: f for f in s["findings"]}
w = by_fn["uses_wrpkru"]
check(w["class"] == "instruction" and w["instruction"] == "wrpkru" and w["site"] == "wrpkru",
      "uses_wrpkru: wrpkru instruction")
check(w["address"].startswith("0x") and w["function_match"] == "inside" and w["offset"] >= 0,
      "address and function fields")
h = by_fn["hides_wrpkru"]
check(h["class"] == "hidden" and h["detail"].startswith("inside mov eax, 0xef010f at 0x"),
      "hides_wrpkru: hidden inside mov")
x = by_fn["uses_xrstor"]
check(x["class"] == "instruction" and x["instruction"] == "xrstor" and x["pkru_in_mask"] is None,
      "uses_xrstor: instruction, mask unknown")
check(by_fn["xrstor_with_pkru"]["pkru_in_mask"] is True and
      by_fn["xrstor_with_pkru"]["mask_eax"] == "0x2ff", "xrstor_with_pkru: mask has PKRU")
b = by_fn["xrstor_without_pkru"]
check(b["pkru_in_mask"] is False and b["benign"], "xrstor_without_pkru: benign")
sc = by_fn["raw_pkey_alloc"]
check(sc["syscall"] == "pkey_alloc" and sc["syscall_number"] == 330, "raw pkey_alloc syscall")
check(sc["syscall_route"] == "pkey", "pkey syscall route")
pv = by_fn["raw_process_vm_writev"]
check(pv["syscall"] == "process_vm_writev" and pv["syscall_number"] == 311 and
      pv["syscall_route"] == "foreign_write" and pv["benign"] is None,
      "raw process_vm_writev: a foreign_write route")
check(by_fn["raw_mprotect"]["syscall_route"] == "protection_change" and
      by_fn["raw_sigreturn"]["syscall_route"] == "sigreturn", "mprotect and rt_sigreturn routes")
check(w["syscall_route"] is None, "no route for a wrpkru")
check("raw_getpid" not in by_fn and "raw_syscall_any" not in by_fn, "other syscalls not reported")

st = objs[static]
check(st["static"] is True and st["preload_reachable"] is False and
      "LD_PRELOAD cannot reach it" in st["note"], "static sample: static, unreachable")
ne = objs[not_elf]
check(ne["error"] == "not an ELF file" and ne["findings"] == [], "text file: error")

quiet = subprocess.run([tool, "--json", "--quiet", sample], capture_output=True)
check(quiet.stdout == b"" and quiet.returncode == 1, "--quiet wins over --json")

print("FAILED" if failures else "PASS")
sys.exit(1 if failures else 0)
