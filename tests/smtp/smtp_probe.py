#!/usr/bin/env python3
"""
smtp_probe.py - the SMTP prober against a real Postfix and scripted servers.

    smtp_probe.py PATH/TO/smtp_probe [--only NAME]

Starts a private Postfix instance (postfix.py) on 127.0.0.1 at a free port
and always stops it; starts the scripted servers of fakesmtp.py as needed.
Every case prints "ok NAME" or "FAIL NAME: got X, want Y"; the figures
(sessions per second, timings) are printed as "# ..." lines.  Exit 1 if any
case failed, and with a clear message if Postfix or openssl is missing.
Touches nothing but 127.0.0.0/8.
"""

import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import postfix  # noqa: E402
from fakesmtp import FakeSMTP  # noqa: E402

FIELDS = ["group", "index", "rcpt", "verdict", "code", "enhanced", "tls", "stage", "mx",
          "at_ms", "reply"]

probe_exe = None
failures = []


def run_probe(*args, timeout=120):
    """Run the driver; a list of result dicts and the total time in ms."""
    t = time.monotonic()
    r = subprocess.run([probe_exe] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout)
    wall = (time.monotonic() - t) * 1000
    if r.returncode != 0:
        raise RuntimeError("probe exited %d: %s" % (r.returncode, r.stderr))
    rows, total = [], None
    for line in r.stdout.splitlines():
        if line.startswith("#total_ms"):
            total = int(line.split("\t")[1])
            continue
        cols = line.split("\t")
        if len(cols) < len(FIELDS):
            raise RuntimeError("bad line from probe: %r" % line)
        d = dict(zip(FIELDS, cols))
        d["code"] = int(d["code"])
        d["at_ms"] = int(d["at_ms"])
        d["tls"] = d["tls"] == "1"
        rows.append(d)
    return rows, total if total is not None else wall


def check(name, got, want):
    if got == want:
        return True
    failures.append(name)
    print("FAIL %s: got %r, want %r" % (name, got, want))
    return False


def expect(name, row, **want):
    """Compare the given fields of one result row."""
    got = {k: row[k] for k in want}
    if check(name, got, want):
        print("ok %s" % name)


def expect_true(name, cond, detail):
    if cond:
        print("ok %s" % name)
    else:
        failures.append(name)
        print("FAIL %s: %s" % (name, detail))


# -- against Postfix ----------------------------------------------------

def postfix_cases(pf):
    port = pf.port
    rows, _ = run_probe("--port", port, "--helo", "probe.mailmedic.test",
                        "--domain", "example.test", "--mx", "127.0.0.1",
                        "--rcpt", "user@example.test", "--rcpt", "nouser@example.test",
                        "--rcpt", "greylisted@example.test", "--rcpt", "full@example.test",
                        "--rcpt", "用户@example.test",
                        "--rcpt", "evil@example.test>\r\nDATA",
                        "--domain", "catchall.test", "--mx", "127.0.0.1",
                        "--rcpt", "anything@catchall.test", "--rcpt", "someone@catchall.test")
    by = {r["rcpt"]: r for r in rows}
    expect("postfix-existing-user", by["user@example.test"], verdict="accepted", code=250,
           enhanced="2.1.5", stage="rcpt", tls=True, mx="127.0.0.1")
    expect("postfix-unknown-user", by["nouser@example.test"], verdict="rejected", code=550,
           enhanced="5.1.1", stage="rcpt")
    expect("postfix-greylisted-is-tempfail", by["greylisted@example.test"], verdict="tempfail",
           code=450, enhanced="4.7.1")
    expect("postfix-452-is-tempfail", by["full@example.test"], verdict="tempfail", code=452,
           enhanced="4.2.2")
    expect("postfix-utf8-rcpt-via-smtputf8", by["用户@example.test"], verdict="rejected",
           code=550, enhanced="5.1.1")
    expect("postfix-crlf-not-sent", by["evil@example.test>??DATA"],
           verdict="protocol_error", stage="rcpt", code=0)
    expect("postfix-catch-all", by["anything@catchall.test"], verdict="catch_all", code=250)
    expect("postfix-catch-all-2", by["someone@catchall.test"], verdict="catch_all", tls=True)
    expect_true("postfix-reply-text", "User unknown in virtual mailbox table"
                in by["nouser@example.test"]["reply"], by["nouser@example.test"]["reply"])

    log = pf.log()
    # Postfix logs every session's command counts on disconnect, e.g.
    # "disconnect from localhost[127.0.0.1] ehlo=2 starttls=1 mail=1 rcpt=3/7 quit=1".
    disc = [l for l in log.splitlines() if "disconnect from" in l]
    expect_true("postfix-never-data", disc and not any(" data=" in l or "bdat=" in l
                                                       for l in disc), "\n".join(disc))
    expect_true("postfix-starttls-used", any("starttls=1" in l for l in disc), "\n".join(disc))
    expect_true("postfix-helo-name", "helo=<probe.mailmedic.test>" in log, "helo not logged")

    rows, _ = run_probe("--port", port, "--no-tls", "--no-catch-all",
                        "--domain", "catchall.test", "--mx", "127.0.0.1",
                        "--rcpt", "x@catchall.test", "--domain", "example.test",
                        "--mx", "127.0.0.1", "--rcpt", "user@example.test")
    expect("postfix-no-tls", rows[1], verdict="accepted", tls=False)
    expect("postfix-no-catch-all-test", rows[0], verdict="accepted")

    # The first MX refuses (nothing listens on 127.0.0.2 at that port): next MX.
    rows, _ = run_probe("--port", port, "--domain", "example.test", "--mx", "127.0.0.2",
                        "--mx", "127.0.0.1", "--rcpt", "user@example.test")
    expect("postfix-next-mx-after-refused", rows[0], verdict="accepted", mx="127.0.0.1")

    # A host name is never looked up.
    rows, _ = run_probe("--port", port, "--domain", "example.test", "--mx", "localhost",
                        "--rcpt", "user@example.test")
    expect("mx-host-name-refused", rows[0], verdict="conn_failed", stage="connect")

    rate_and_throughput(port)


def rate_and_throughput(port):
    # 25 recipients of one domain: 3 sessions (10 per session).  Rate 2/s,
    # concurrency 3: starts at 0, 500 and 1000 ms.
    rcpts = []
    for i in range(25):
        rcpts += ["--rcpt", "user@example.test" if i % 2 else "no%d@example.test" % i]
    rows, total = run_probe("--port", port, "--rate", "2", "--concurrency", "3",
                            "--domain", "example.test", "--mx", "127.0.0.1", *rcpts)
    ends = sorted({r["at_ms"] for r in rows})
    first_session = min(r["at_ms"] for r in rows[:10])
    last_session = min(r["at_ms"] for r in rows[20:])
    expect_true("rate-limit-spacing", first_session < 500 and last_session >= 1000,
                "session ends at %r ms, want the first < 500 and the third >= 1000" % ends)
    expect_true("rate-limit-verdicts",
                all(r["verdict"] == ("accepted" if i % 2 else "rejected")
                    for i, r in enumerate(rows)), [r["verdict"] for r in rows])
    print("# rate 2/s, 3 sessions of one domain: session ends at %s ms" % ends)

    # Throughput: 50 domains x 10 recipients, no rate limit, 32 sessions.
    args = []
    for d in range(50):
        args += ["--domain", "d%d.example.test" % d, "--mx", "127.0.0.1"]
        for i in range(10):
            args += ["--rcpt", "user@example.test" if i % 2 else "x%d@example.test" % i]
    rows, total = run_probe("--port", port, "--rate", "-1", *args)
    ok = all(r["verdict"] == ("accepted" if r["index"] in "13579" else "rejected")
             for r in rows)
    expect_true("throughput-50-domains-verdicts", ok and len(rows) == 500,
                sorted({r["verdict"] for r in rows}))
    print("# 50 sessions (500 RCPT, STARTTLS) against local Postfix: %d ms, %.0f sessions/s, "
          "%.0f recipients/s" % (total, 50000.0 / max(total, 1), 500000.0 / max(total, 1)))


# -- against scripted servers -------------------------------------------

def fake_cases():
    # A closed port (bound, not listening): refused at once.
    closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    rows, total = run_probe("--port", port, "--domain", "example.test", "--mx", "127.0.0.1",
                            "--rcpt", "a@example.test")
    expect("closed-port", rows[0], verdict="conn_failed", stage="connect", code=0,
           reply="connection refused")
    expect_true("closed-port-fast", total < 1000, "took %d ms" % total)
    print("# closed port: conn_failed in %d ms" % total)
    closed.close()

    with FakeSMTP("silent") as f:
        rows, total = run_probe("--port", f.port, "--command-timeout", "1000",
                                "--domain", "example.test", "--mx", "127.0.0.1",
                                "--rcpt", "a@example.test")
    expect("silent-server-timeout", rows[0], verdict="timeout", stage="banner")
    expect_true("silent-server-timeout-bounded", 900 <= total < 4000, "took %d ms" % total)
    print("# silent server, 1 s command timeout: timeout in %d ms" % total)

    simple = [
        ("banner554", dict(verdict="blocked", stage="banner", code=554, enhanced="5.7.1")),
        ("drop_after_ehlo", dict(verdict="conn_failed", stage="ehlo", code=0,
                                 reply="connection closed by the server")),
        ("huge", dict(verdict="protocol_error", stage="banner",
                      reply="reply from the server too long")),
        ("mismatch", dict(verdict="protocol_error", stage="ehlo",
                          reply="malformed reply from the server")),
        ("helo_only", dict(verdict="catch_all", stage="rcpt", code=250, reply="Recipient ok")),
        ("gmail_reject", dict(verdict="rejected", stage="rcpt", code=550, enhanced="5.1.1")),
        ("tls_broken", dict(verdict="catch_all", tls=False)),
    ]
    for mode, want in simple:
        with FakeSMTP(mode) as f:
            rows, _ = run_probe("--port", f.port, "--command-timeout", "3000",
                                "--domain", "example.test", "--mx", "127.0.0.1",
                                "--rcpt", "a@example.test")
            expect("fake-" + mode, rows[0], **want)
            if mode == "helo_only":
                expect_true("fake-helo-fallback", any(c.startswith("HELO ") for c in f.commands),
                            f.commands)
            if mode == "tls_broken":
                expect_true("fake-tls-retry-plain", f.connections == 2,
                            "%d connections" % f.connections)
            if mode == "gmail_reject":
                want_text = ("The email account that you tried to reach does not exist. Please "
                             "try double-checking the recipient's email address for typos.")
                expect_true("fake-multiline-joined", rows[0]["reply"].startswith(want_text),
                            rows[0]["reply"])
            expect_true("fake-%s-never-data" % mode,
                        not any(c.upper().startswith(("DATA", "BDAT")) for c in f.commands),
                        f.commands)

    # 421 at the banner on the first MX: the second one is asked.
    with FakeSMTP("banner421", host="127.0.0.1") as f1:
        with FakeSMTP("ok", host="127.0.0.2", port=f1.port) as f2:
            rows, _ = run_probe("--port", f1.port, "--no-catch-all", "--domain", "example.test",
                                "--mx", "127.0.0.1", "--mx", "127.0.0.2",
                                "--rcpt", "a@example.test")
            expect("next-mx-after-421-banner", rows[0], verdict="accepted", mx="127.0.0.2")

    # Yahoo and friends are never contacted.
    with FakeSMTP("ok") as f:
        rows, _ = run_probe("--port", f.port, "--domain", "yahoo.com", "--mx", "127.0.0.1",
                            "--rcpt", "someone@yahoo.com")
        expect("always-accepts", rows[0], verdict="always_accepts")
        expect_true("always-accepts-not-contacted", f.connections == 0,
                    "%d connections" % f.connections)

    concurrency_cases()


def concurrency_cases():
    """Silent servers make each session last exactly the command timeout."""
    rcpts = []
    for i in range(30):
        rcpts += ["--rcpt", "u%d@example.test" % i]
    with FakeSMTP("silent") as f:
        # One domain, 3 sessions, 1 at a time: about 3 s; 3 at a time: about 1 s.
        _, serial = run_probe("--port", f.port, "--command-timeout", "1000", "--rate", "-1",
                              "--concurrency", "1", "--domain", "slow.test", "--mx", "127.0.0.1",
                              *rcpts)
        _, parallel = run_probe("--port", f.port, "--command-timeout", "1000", "--rate", "-1",
                                "--concurrency", "3", "--domain", "slow.test",
                                "--mx", "127.0.0.1", *rcpts)
        expect_true("per-domain-concurrency-1", serial >= 2900, "took %d ms" % serial)
        expect_true("per-domain-concurrency-3", parallel < 2500, "took %d ms" % parallel)
        # 20 domains at once, then capped at 5 sessions overall.
        args = []
        for d in range(20):
            args += ["--domain", "s%d.test" % d, "--mx", "127.0.0.1", "--rcpt", "a@s%d.test" % d]
        _, wide = run_probe("--port", f.port, "--command-timeout", "1000", *args)
        _, capped = run_probe("--port", f.port, "--command-timeout", "1000",
                              "--max-sessions", "5", *args)
        expect_true("many-domains-in-parallel", wide < 2500, "took %d ms" % wide)
        expect_true("max-sessions-cap", capped >= 3900, "took %d ms" % capped)
        print("# silent server, 1 s timeout: 3 sessions serial %d ms, parallel %d ms; "
              "20 domains %d ms, with max 5 sessions %d ms" % (serial, parallel, wide, capped))


def main():
    global probe_exe
    if len(sys.argv) < 2:
        print("usage: smtp_probe.py PATH/TO/smtp_probe", file=sys.stderr)
        return 2
    probe_exe = sys.argv[1]
    try:
        postfix.check_tools()
    except postfix.PostfixMissing as e:
        print("FAIL: %s" % e)
        return 1
    fake_cases()
    with postfix.Postfix() as pf:
        try:
            postfix_cases(pf)
        finally:
            if failures:
                print("--- Postfix log ---\n" + pf.log()[-4000:])
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
