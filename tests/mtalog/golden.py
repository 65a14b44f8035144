#!/usr/bin/env python3
"""Golden test of the MTA log parser: run the dump program on each fixture
log (tests/mtalog/*.log) and compare its output with the .expected file
beside it, line by line ("got X, want Y").  To accept new output after a
deliberate change: mtalog_dump FILE.log > FILE.expected, and review the diff."""
import pathlib
import subprocess
import sys


def main():
    dump, srcdir = sys.argv[1], pathlib.Path(sys.argv[2])
    failures = 0
    logs = sorted(srcdir.glob('*.log'))
    if not logs:
        print(f'no fixture logs in {srcdir}')
        return 1
    for log in logs:
        want = log.with_suffix('.expected').read_text(encoding='utf-8').splitlines()
        got = subprocess.run([dump, str(log)], check=True, capture_output=True,
                             text=True, encoding='utf-8').stdout.splitlines()
        for i in range(max(len(got), len(want))):
            g = got[i] if i < len(got) else '<missing>'
            w = want[i] if i < len(want) else '<missing>'
            if g != w:
                failures += 1
                print(f'{log.name} line {i + 1}:\n  got  {g}\n  want {w}')
        print(f'{log.name}: {len(got)} lines checked')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
