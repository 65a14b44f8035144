#!/usr/bin/env python3
"""Golden tests: run `mailmedic diagnose -f json --all` on every NAME.eml
under the given folders and compare with NAME.expected.json beside it.

NAME.expected.json:
  {"args": ["--lang", "zh"],          # optional extra arguments
   "kind": "bounce",                  # optional: kind of the message
   "recipients": [                    # in order; only the keys given are checked
     {"recipient": "a@b.example", "reason": "userunknown", "hard_bounce": true,
      "status": "5.1.1", "reply_code": 550, "provider": "tencent",
      "retry_after": 3600, "category": "invalid_address",
      "summary_contains": "不存在", "actions_contain": "授权码"}]}
A .eml with no .expected.json only has to go through without a crash.
Usage: golden.py MAILMEDIC DIR...   Prints one line per file and a summary.
"""
import json
import os
import subprocess
import sys


def check(exe, eml):
    exp_path = eml[:-4] + ".expected.json"
    exp = json.load(open(exp_path, encoding="utf-8")) if os.path.exists(exp_path) else None
    args = [exe] + (["--lang", "en"] if not exp or "--lang" not in exp.get("args", []) else [])
    args += ["diagnose", "-f", "json", "--all"] + (exp.get("args", []) if exp else []) + [eml]
    p = subprocess.run(args, capture_output=True, timeout=60)
    if p.returncode not in (0, 1):
        return ["exit code %d (stderr: %s)" % (p.returncode, p.stderr.decode(errors="replace")[:300])]
    try:
        got = [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]
    except ValueError as e:
        return ["output is not JSON Lines: %s" % e]
    if exp is None:
        return []
    errs = []
    if "kind" in exp:
        kinds = {g.get("kind") for g in got}
        if kinds != {exp["kind"]}:
            errs.append("kind: got %s, want %s" % (sorted(kinds), exp["kind"]))
    want = exp.get("recipients", [])
    rcpts = [g for g in got if "recipient" in g]
    if len(rcpts) != len(want):
        errs.append("recipients: got %d, want %d" % (len(rcpts), len(want)))
    for i, (g, w) in enumerate(zip(rcpts, want)):
        for k, v in w.items():
            if k == "summary_contains":
                if v not in g.get("summary", ""):
                    errs.append("#%d summary: got %r, want it to contain %r" % (i, g.get("summary"), v))
            elif k == "actions_contain":
                if not any(v in a for a in g.get("actions", [])):
                    errs.append("#%d actions: got %r, want one containing %r" % (i, g.get("actions"), v))
            elif g.get(k) != v:
                errs.append("#%d %s: got %r, want %r" % (i, k, g.get(k), v))
    return errs


def main():
    exe, dirs = sys.argv[1], sys.argv[2:]
    files = sorted(os.path.join(r, f) for d in dirs for r, _, fs in os.walk(d)
                   for f in fs if f.endswith(".eml"))
    passed = failed = 0
    for f in files:
        errs = check(exe, f)
        if errs:
            failed += 1
            print("FAIL %s" % f)
            for e in errs:
                print("    " + e)
        else:
            passed += 1
            print("ok   %s" % f)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not files else 0


if __name__ == "__main__":
    sys.exit(main())
