#!/usr/bin/env python3
"""Robustness test: mailmedic on truly malformed input (made by gen.py).

Runs `mailmedic diagnose -f json --all` once on every input together (one
job and two), once per input alone, and once on the 100 MB message through
standard input, and checks that
  - it never crashes: exit status 0, or 1 when some input could not be read;
  - every unusable input (fail-*) is named in a one-line error on stderr;
  - every input is accounted for, on stdout or on stderr;
  - good bounces in the same batch are still reported (nothing lost);
  - inputs over the size limit get the "only its beginning was read" warning;
  - peak RSS stays at or under 64 MB.
Usage: run.py MAILMEDIC GEN.PY WORKDIR
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

RSS_LIMIT_KB = 64 * 1024
# Sanitizer builds keep shadow memory and quarantines: their RSS says nothing
# about ours, so meson passes --no-rss for them (tests/meson.build).
CHECK_RSS = "--no-rss" not in sys.argv
TIME = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run(exe, args, stdin=None):
    """Run mailmedic; return (exit status, stdout lines, stderr lines, peak RSS in KB)."""
    with tempfile.NamedTemporaryFile("r") as rss:
        cmd = [exe, "diagnose", "-f", "json", "--all"] + args
        if TIME:
            cmd = [TIME, "-f", "%M", "-o", rss.name] + cmd
        p = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=120)
        if TIME:
            text = rss.read().strip().splitlines()
            peak = int(text[-1]) if text and text[-1].isdigit() else 0
        else:  # the largest child so far: an upper bound for this one
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    status = p.returncode
    if TIME and status != 0 and p.stderr.startswith(b"Command"):
        status = p.returncode
    out = p.stdout.decode("utf-8", "replace").splitlines()
    err = [l for l in p.stderr.decode("utf-8", "replace").splitlines()
           if not l.startswith("Command exited with non-zero status")]
    return status, out, err, peak


def expected_failure(path):
    name = os.path.basename(path)
    # root reads a mode-000 file anyway: then it is just another good bounce
    if name == "fail-secret.eml" and os.geteuid() == 0:
        return False
    return name.startswith("fail-")


def check(label, exe, args, inputs, stdin=None):
    status, out, err, peak = run(exe, args, stdin)
    print("%s: exit %d, %d stdout lines, %d stderr lines, peak RSS %d KB"
          % (label, status, len(out), len(err), peak))
    if status not in (0, 1):
        fail("%s: exit status %d (crash?); stderr: %s" % (label, status, err[-3:]))
        return
    records = []
    for line in out:
        try:
            records.append(json.loads(line))
        except ValueError:
            fail("%s: stdout line is not JSON: %.100s" % (label, line))
    sources = {r.get("source") for r in records}
    any_failed = False
    for path in inputs:
        named = [l for l in err if l.startswith("mailmedic: " + path + ":")
                 or l.startswith("mailmedic: " + path + " (message")]
        if expected_failure(path):
            any_failed = True
            if not named:
                fail("%s: %s is not named in an error on stderr" % (label, path))
        elif path not in sources and not named:
            fail("%s: %s is on neither stdout nor stderr" % (label, path))
        if os.path.basename(path).startswith("good-"):
            ok = [r for r in records if r.get("source") == path and r.get("kind") == "bounce"
                  and r.get("recipient")]
            if not ok:
                fail("%s: good bounce %s was not reported on stdout" % (label, path))
        if os.path.basename(path).startswith("big-") and not any("limit" in l for l in named):
            fail("%s: %s has no size-limit warning" % (label, path))
    if any(l.count("\n") for l in err):
        fail("%s: multi-line error" % label)
    if any_failed and status != 1:
        fail("%s: exit status %d, want 1 (some inputs failed)" % (label, status))
    if CHECK_RSS and peak > RSS_LIMIT_KB:
        fail("%s: peak RSS %d KB > %d KB" % (label, peak, RSS_LIMIT_KB))


def main():
    exe, gen, work = [a for a in sys.argv[1:] if a != "--no-rss"][:3]
    subprocess.run([sys.executable, gen, work], check=True)
    names = sorted(n for n in os.listdir(work) if n != "unreadable")
    files = [os.path.join(work, n) for n in names]
    unread = os.path.join(work, "unreadable")
    unread_files = [os.path.join(unread, n) for n in sorted(os.listdir(unread))]
    everything = files + unread_files
    # good inputs first, in the middle and last: none may be lost to a neighbour's failure
    batch = files + [unread] + [f for f in files if "good-" in f]
    check("all inputs, 1 job", exe, batch, everything)
    check("all inputs, 2 jobs", exe, ["--jobs", "2"] + batch, everything)
    check("all inputs, 8 jobs", exe, ["--jobs", "8"] + batch, everything)
    for path in everything:
        check(os.path.basename(path), exe, [path], [path])
    with open(os.path.join(work, "big-100mb.eml"), "rb") as f:
        check("100 MB on stdin", exe, ["-"], [], stdin=f)
    # Short messages between long ones cut by --max-size: with several jobs
    # the reader keeps messages in its read blocks, and each short one holds
    # a block; memory must stay bounded all the same (beside work: not one
    # of the inputs above).
    held = work.rstrip("/") + "-held.mbox"
    envelope = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
    try:
        with open(held, "wb") as f:
            for i in range(80):  # 80 blocks held would be 80 MB without the bound
                f.write(envelope + b"From: MAILER-DAEMON@example.org\n"
                        b"Subject: failure notice\n\n"
                        b"<user%d@example.com>: 550 5.1.1 user unknown\n\n" % i)
                f.write(envelope + b"Subject: long\n\n" + (b"x" * 70 + b"\n") * 16000 + b"\n")
        for jobs in ("1", "2"):
            check("short and long messages, --max-size 1000, %s job(s)" % jobs, exe,
                  ["--jobs", jobs, "--max-size", "1000", held], [held])
    finally:
        if os.path.exists(held):
            os.unlink(held)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
