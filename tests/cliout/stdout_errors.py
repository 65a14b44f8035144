#!/usr/bin/env python3
"""Standard output that cannot be written is never lost silently.

Every command writing into /dev/full (ENOSPC) ends with exit status 3 and
one line on standard error naming standard output; a closed standard output
(>&-) the same with EBADF, unless nothing was written.  When the reader of
standard output goes away (`diagnose BIG | head -1`), mailmedic ends by
SIGPIPE, quietly, instead of reading the rest of its input.  Normal runs
still exit as before, and an output error leaves the log's database whole.
No network: checkup answers from zone files (--zone).

usage: stdout_errors.py MAILMEDIC TESTS_DIR
"""
import glob
import os
import resource
import signal
import subprocess
import sys
import tempfile

MSG = "standard output: write error"
failed = 0


def check(ok, what):
    global failed
    print(("ok   " if ok else "FAIL ") + what)
    failed += not ok


def run(cmd, stdout, stdin=subprocess.DEVNULL, close_stdout=False):
    pre = (lambda: os.close(1)) if close_stdout else None
    p = subprocess.run(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                       preexec_fn=pre, timeout=300)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def full_and_normal(name, cmd, want_rc, tmp):
    """cmd into /dev/full: 3 and the one line; into a file: want_rc."""
    with open("/dev/full", "wb") as full:
        rc, err = run(cmd, full)
    lines = [l for l in err.splitlines() if MSG in l]
    check(rc == 3 and len(lines) == 1 and "No space left on device" in lines[0],
          f"{name} > /dev/full: exit {rc} (want 3), {len(lines)} error line(s): {lines}")
    with open(os.path.join(tmp, "out"), "wb") as out:
        rc, err = run(cmd, out)
    check(rc == want_rc and MSG not in err,
          f"{name} > file: exit {rc} (want {want_rc})")


def limited_file(name, cmd, tmp):
    """Standard output a file limited to 256 KiB: the write error comes in
    the middle of the run (EFBIG, SIGXFSZ ignored); 3, one line, what was
    written before it is kept."""
    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 10, 256 << 10))
    path = os.path.join(tmp, "limited")
    with open(path, "wb") as out:
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, preexec_fn=limit,
                           timeout=300)
    err = p.stderr.decode("utf-8", "replace")
    size = os.path.getsize(path)
    check(p.returncode == 3 and err.count(MSG) == 1 and "File too large" in err
          and size == 256 << 10,
          f"{name} > file limited to 256 KiB: exit {p.returncode} (want 3), {size} bytes, "
          f"{err.strip()[-120:]!r}")


def make_mbox(path, eml, copies):
    with open(eml, "rb") as f:
        lines = f.read().replace(b"\r\n", b"\n").split(b"\n")
    body = b"\n".join(b">" + l if l.startswith(b"From ") else l for l in lines)
    one = b"From MAILER-DAEMON Mon Nov 30 00:00:00 2026\n" + body.rstrip(b"\n") + b"\n\n"
    with open(path, "wb") as f:
        f.write(one * copies)


def reader_leaves(name, cmd):
    """Read one line of cmd's output, then close the pipe: killed by SIGPIPE."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()
    p.stdout.close()
    try:
        err = p.stderr.read().decode("utf-8", "replace")
        rc = p.wait(timeout=300)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc, err = "timeout", ""
    check(first and rc == -signal.SIGPIPE and MSG not in err,
          f"{name} | head -1: exit {rc} (want {-signal.SIGPIPE}, killed by SIGPIPE), "
          f"stderr {err.strip()[:200]!r}")


def test_diagnose(mm, tests, tmp):
    emls = sorted(glob.glob(os.path.join(tests, "fixtures", "bounces", "*.eml")))
    for fmt in ("json", "csv", "text"):
        for jobs in ("1", "3"):
            full_and_normal(f"diagnose -f {fmt} --jobs {jobs}",
                            mm + ["diagnose", "-f", fmt, "--jobs", jobs] + emls, 0, tmp)
    full_and_normal("diagnose --text", mm + ["diagnose", "--text", "550 5.1.1 User unknown"],
                    0, tmp)
    rc, err = run(mm + ["diagnose", "-f", "json"] + emls, None, close_stdout=True)
    check(rc == 3 and f"{MSG}: Bad file descriptor" in err,
          f"diagnose >&-: exit {rc} (want 3), {err.strip()[-120:]!r}")
    # A directory: the descriptor the program opens first (its io_uring, a
    # file) must not become standard output and take the results.
    rc, err = run(mm + ["diagnose", "-f", "json", os.path.join(tests, "fixtures", "bounces")],
                  None, close_stdout=True)
    check(rc == 3 and f"{MSG}: Bad file descriptor" in err,
          f"diagnose DIR >&-: exit {rc} (want 3), {err.strip()[-120:]!r}")

    mbox = os.path.join(tmp, "big.mbox")
    make_mbox(mbox, os.path.join(tests, "fixtures", "bounces", "amazonses-01.eml"), 20000)
    for fmt in ("json", "csv", "text"):
        for jobs in ("1", "3"):
            reader_leaves(f"diagnose -f {fmt} --jobs {jobs} (20,000 messages)",
                          mm + ["diagnose", "-f", fmt, "--jobs", jobs, mbox])
    for jobs in ("1", "3"):
        limited_file(f"diagnose -f json --jobs {jobs} (20,000 messages)",
                     mm + ["diagnose", "-f", "json", "--jobs", jobs, mbox], tmp)
    with open(os.devnull, "wb") as null:
        rc, err = run(mm + ["diagnose", "-f", "json", mbox], null)
    check(rc == 0, f"diagnose of the 20,000 messages > /dev/null: exit {rc} (want 0)")


def test_verify(mm, tmp):
    lst = os.path.join(tmp, "list.txt")
    with open(lst, "w") as f:
        for i in range(20000):
            f.write(f"user{i}@gmail.com\n")
    for fmt in ("text", "json", "csv"):
        full_and_normal(f"verify --offline -f {fmt}",
                        mm + ["verify", "--offline", "--no-progress", "-f", fmt, "-i", lst], 0, tmp)
    with open(lst, "rb") as inp, open("/dev/full", "wb") as full:
        rc, err = run(mm + ["verify", "--offline", "-i", "-"], full, stdin=inp)
    check(rc == 3 and err.count(MSG) == 1, f"verify --offline -i - > /dev/full: exit {rc}")
    limited_file("verify --offline (20,000 addresses)",
                 mm + ["verify", "--offline", "--no-progress", "-i", lst], tmp)
    reader_leaves("verify --offline (20,000 addresses)",
                  mm + ["verify", "--offline", "--no-progress", "-i", lst])


def test_checkup(mm, tests, tmp):
    z = os.path.join(tests, "checkup", "zones")
    for fmt in ("text", "json", "markdown"):
        full_and_normal(f"checkup -f {fmt} --zone",
                        mm + ["checkup", "-f", fmt, "mmck-good.com", "--ip", "5.6.7.20",
                              "--zone", os.path.join(z, "com.zone"),
                              "--zone", os.path.join(z, "7.6.5.in-addr.arpa.zone")], 0, tmp)


def test_log(mm, tmp):
    db = mm + ["log", "--db", os.path.join(tmp, "x.sqlite")]
    with open("/dev/full", "wb") as full:
        rc, err = run(db + ["suppress", "a@b.example", "c@d.example"], full)
    check(rc == 0 and MSG not in err, f"log suppress (nothing on stdout) > /dev/full: exit {rc}")
    rc, err = run(db + ["suppress", "e@f.example"], None, close_stdout=True)
    check(rc == 0 and MSG not in err, f"log suppress >&- (nothing written): exit {rc}")
    for args in (["suppressed"], ["suppressed", "-f", "csv"], ["list"], ["export-suppressions"],
                 ["export"], ["stats"], ["history", "a@b.example"]):
        full_and_normal("log " + " ".join(args), db + args, 0, tmp)
    full_and_normal("log check (suppressed)", db + ["check", "a@b.example"], 1, tmp)
    lst = os.path.join(tmp, "supp.txt")
    with open(lst, "w") as f:
        for i in range(20000):
            f.write(f"user{i}@example.com\n")
    with open("/dev/full", "wb") as full:
        rc, err = run(db + ["import-suppressions", lst], full)
    check(rc == 0, f"log import-suppressions > /dev/full (nothing on stdout): exit {rc}")
    reader_leaves("log suppressed (20,003 rows)", db + ["suppressed"])
    out = subprocess.run(db + ["suppressed", "-f", "csv"], capture_output=True, timeout=300)
    rows = out.stdout.decode().splitlines()
    check(out.returncode == 0 and len(rows) == 20004,
          f"the log is whole after the output errors: {len(rows)} rows (want 20004)")


def main():
    mm, tests = [sys.argv[1], "--lang=en"], sys.argv[2]
    if not os.path.exists("/dev/full"):
        print("FAIL: /dev/full is missing; this test needs it")
        sys.exit(1)
    with tempfile.TemporaryDirectory() as tmp:
        full_and_normal("--version", mm + ["--version"], 0, tmp)
        test_diagnose(mm, tests, tmp)
        test_verify(mm, tmp)
        test_checkup(mm, tests, tmp)
        test_log(mm, tmp)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
