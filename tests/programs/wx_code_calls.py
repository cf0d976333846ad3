#!/usr/bin/env python3
"""tests/programs/wx_code_calls.py TRACE: of the mprotect calls in an strace -f log (traced with
mprotect, pkey_mprotect and munmap), how many touch code memory: any range some call made
executable and no munmap has freed since. Under W^X there should be none: every flip of a
converted region is handled without a system call. Prints "CALLS CODE_CALLS"."""
import re
import sys

CALL = re.compile(r'^\d+\s+(mprotect|pkey_mprotect|munmap)\((0x[0-9a-f]+|NULL), (\d+)(?:, ([A-Z_|]+))?')


def main(path):
    code = []  # [start, end) ranges made executable and not unmapped since
    calls = on_code = 0
    with open(path) as f:
        for line in f:
            m = CALL.match(line)
            if not m or m.group(2) == 'NULL' or line.rstrip().endswith('= -1') or ' = -1 ' in line:
                continue
            name, start, size, prot = m.group(1), int(m.group(2), 16), int(m.group(3)), m.group(4) or ''
            end = start + size
            overlaps = any(s < end and start < e for s, e in code)
            if name == 'munmap':
                code = [(s, e) for s, e in code if not (s < end and start < e)]
                continue
            if name == 'mprotect':
                calls += 1
                on_code += overlaps
            if 'PROT_EXEC' in prot:
                code.append((start, end))
    print(calls, on_code)


if __name__ == '__main__':
    main(sys.argv[1])
