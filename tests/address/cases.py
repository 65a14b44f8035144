#!/usr/bin/env python3
"""Runs tests/address/cases.tsv (the repo's own fixture) through addrcheck.

Usage: cases.py ADDRCHECK CASES_TSV

Each row gives the RFC 5321 verdict, the first error code and its column,
the offered fix, the domain notes, and the verdict under --rfc5322.  Every
code the checker knows must appear in the table (except the two covered by
the unit tests).  Failures print "got X, want Y".
"""
import json
import subprocess
import sys

UNIT_ONLY = {'ok', 'invalid_utf8', 'rfc5322_only'}


def run(exe, lines, opt=None):
    out = subprocess.run([exe] + ([opt] if opt else []), input=('\n'.join(lines) + '\n').encode(),
                         capture_output=True, check=True).stdout.decode('utf-8', 'replace')
    return [ln.split('\t') for ln in out.split('\n')[:-1]]


def main():
    exe, path = sys.argv[1], sys.argv[2]
    rows = []
    with open(path, encoding='utf-8') as f:
        for ln in f:
            if ln.startswith('#') or ln.startswith('address\t') or not ln.strip():
                continue
            rows.append(ln.rstrip('\n').split('\t'))
    got = run(exe, [r[0] for r in rows])
    got22 = run(exe, [r[0] for r in rows], '--rfc5322')
    bad = 0
    for r, g, g22 in zip(rows, got, got22):
        lit, verdict, code, col, fixed, notes, v22 = r[:7]
        want = [verdict, code, col, json.loads(fixed), '' if notes == '-' else notes, v22]
        have = [g[0], g[1], g[2], g[4].replace('\\x5C', '\\'), g[5], g22[0]]
        if have != want:
            bad += 1
            print(f'{lit}: got {have}, want {want}')
    codes = set(subprocess.run([exe, '--codes'], capture_output=True, text=True,
                               check=True).stdout.split())
    seen = {r[2] for r in rows} | {n.split(':')[0] for r in rows for n in r[5].split(',')}
    missing = codes - seen - UNIT_ONLY
    if missing:
        bad += 1
        print(f'codes without a row in {path}: {sorted(missing)}')
    print(f'{len(rows) - bad + (1 if missing else 0)}/{len(rows)} rows as expected')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
