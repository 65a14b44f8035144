#!/usr/bin/env python3
"""
run.py MAILMEDIC TESTS_DIR [--offline-only] - `mailmedic verify` end to end.

Offline: syntax errors with their column, typo suggestions, classes, CSV
columns kept, repeats, --bom, --lang zh, exit codes, and bad input (a 10 MB
line, binary junk, invalid UTF-8, an empty file, a CSV without the column).

Online: a real Unbound on 127.0.0.1 (tests/dns/server.py) serving
tests/verify/zones/ (NXDOMAIN, null MX, implicit MX, no mail host, private
MX, SERVFAIL, a time-out, a typo-like domain with its own MX), and a real
Postfix on 127.0.0.1 (tests/smtp/postfix.py) for --smtp: a mailbox that
exists, one that does not, a catch-all domain, greylisting, a full mailbox.
Nothing but loopback is ever asked.
"""
import json
import os
import subprocess
import sys
import tempfile

MM = sys.argv[1]
TESTS = sys.argv[2]
HERE = os.path.join(TESTS, "verify")
sys.path.insert(0, os.path.join(TESTS, "dns"))
sys.path.insert(0, os.path.join(TESTS, "smtp"))

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(args, stdin=None, env=None, lang="en"):
    e = dict(os.environ, LANG="C", LC_ALL="", LANGUAGE="")
    e.pop("LC_ALL")
    if env:
        e.update(env)
    p = subprocess.run([MM, "--lang", lang, "verify", "--no-progress"] + args,
                       input=stdin, capture_output=True, env=e, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def jsonl(out):
    return [json.loads(l) for l in out.decode("utf-8").splitlines() if l.strip()]


def one(addr, *extra):
    rc, out, err = run(["--offline", "-f", "json"] + list(extra) + [addr])
    recs = jsonl(out)
    check(len(recs) == 1, f"{addr}: one record (got {len(recs)}; stderr {err!r})")
    return recs[0] if recs else {}


def offline():
    r = one("alice@gamil.com")
    check(r.get("verdict") == "risky", f"gamil.com offline is risky: {r}")
    check(r.get("suggestion") == "alice@gmail.com", f"gamil.com -> gmail.com: {r}")
    check(r.get("offline") is True and r.get("mx") is None, "offline says so, no mx")
    for key in ("input", "address", "verdict", "syntax_ok", "errors", "suggestion", "classes",
                "mx", "smtp"):
        check(key in r, f"JSON has {key}")

    r = one("kai.wang@qq。com")
    check(r.get("syntax_ok") is False, "full-width dot is a syntax error")
    check(r.get("errors") and r["errors"][0]["code"] == "fullwidth_char"
          and r["errors"][0]["column"] == 12, f"full-width dot at column 12: {r.get('errors')}")
    check(r.get("suggestion") == "kai.wang@qq.com", f"full-width fixed: {r.get('suggestion')}")

    r = one("lan.liu＠163.com")
    check(r.get("suggestion") == "lan.liu@163.com", f"full-width @ fixed: {r.get('suggestion')}")

    r = one("gia@gmail,com")
    check(r["errors"] and r["errors"][0]["code"] == "domain_comma", f"comma: {r['errors']}")
    check(r.get("suggestion") == "gia@gmail.com", f"comma fixed: {r.get('suggestion')}")

    r = one("john.doe@gmail.con")
    check(r.get("verdict") == "undeliverable" and r.get("syntax_ok") is True,
          f".con is undeliverable, syntax fine: {r}")
    check(any(w["code"] == "tld_unknown" for w in r.get("warnings", [])), "tld_unknown warning")
    check(r.get("suggestion") == "john.doe@gmail.com", f".con -> .com: {r.get('suggestion')}")

    r = one("info@163.com")
    check(r["classes"]["role"] == "info" and r["classes"]["free"] is True,
          f"info@163.com role + free: {r['classes']}")
    check(r["verdict"] == "risky", "role account is risky")
    check(r["classes"]["provider"], "163.com has a provider name")

    r = one("x@mailinator.com")
    check(r["classes"]["disposable"] is True and r["verdict"] == "risky", f"disposable: {r}")
    r = one("wang.lei@21cn.com")
    check(r["classes"]["disposable"] is False, "21cn.com is not disposable")
    check(r.get("suggestion") is None, "21cn.com is not a typo")
    r = one("xiao.ming@126.com")
    check(r.get("suggestion") is None and r["verdict"] == "deliverable",
          f"126.com stays (known provider offline): {r}")
    r = one("me@valid.invalid")
    check(r["verdict"] == "undeliverable", "special-use domain undeliverable")
    r = one("  Carol@QQ.COM ")
    check(r.get("address") == "Carol@qq.com", f"trimmed, domain lower-cased: {r.get('address')}")
    check("trimmed" in " ".join(r.get("normalized", [])), f"says it trimmed: {r.get('normalized')}")

    # exit codes
    rc, _, _ = run(["--offline", "alice@gmail.com"])
    check(rc == 0, f"all fine -> exit 0 (got {rc})")
    rc, _, _ = run(["--offline", "alice@gmail.com", "bob@@x.com"])
    check(rc == 4, f"an undeliverable address -> exit 4 (got {rc})")
    rc, _, _ = run(["--bogus"])
    check(rc == 2, f"bad option -> exit 2 (got {rc})")

    # plain list from stdin, repeats, input order
    with open(os.path.join(HERE, "lists", "plain.txt"), "rb") as f:
        data = f.read()
    rc, out, err = run(["--offline", "-f", "json", "-"], stdin=data)
    recs = jsonl(out)
    check([r["input"] for r in recs] == ["alice@gmail.com", "bob@gamil.com", "  carol@qq.com  ",
                                         "kai.wang@qq。com", "info@163.com", "x@mailinator.com",
                                         "bob@gamil.com"], f"order kept, blank skipped: {recs}")
    check(recs and recs[-1]["duplicate_of"] == 3, f"repeat points at line 3: {recs[-1:]} ")
    reasons = [[x["code"] for x in r["reasons"]] for r in recs]
    check(reasons[0] == ["known_provider"] and reasons[2] == ["known_provider"]
          and "role_account" in reasons[4] and "role_account" not in reasons[5]
          and "disposable" in reasons[5] and "disposable" not in reasons[6],
          f"each address has its own reasons, nothing carried over: {reasons}")
    check([r["line"] for r in recs][:3] == [1, 3, 4], "line numbers count blank lines")
    rc, out, _ = run(["--offline", "-f", "json", "--unique", "-"], stdin=data)
    check(len(jsonl(out)) == 6, "--unique drops the repeat")

    # CSV column kept, repeats, missing value, full-width in a quoted row
    csvp = os.path.join(HERE, "lists", "contacts.csv")
    rc, out, err = run(["--offline", "-f", "csv", "--column", "email", "--list", csvp])
    lines = out.decode("utf-8").splitlines()
    check(lines[0].startswith("name,email,company,source,source,line,input,address,verdict"),
          f"CSV header keeps the columns: {lines[0]!r}")
    check(len(lines) == 7, f"6 rows + header: {len(lines)}")
    check('"Wang, Fang"' in out.decode(), "a quoted field stays quoted")
    check("北京贸易" in out.decode(), "UTF-8 kept")
    check("missing_field" in out.decode(), "the empty row is reported, not dropped")
    check(rc == 4, f"CSV with undeliverable rows exits 4 (got {rc})")
    rc, out, _ = run(["--offline", "-f", "json", "--column", "email", "--list", csvp])
    recs = jsonl(out)
    check(recs and recs[0]["row"]["company"] == "Acme", f"JSON keeps the row: {recs[:1]}")
    check(recs[3]["duplicate_of"] == 2, f"repeat in CSV points at line 2: {recs[3]}")
    rc, out, _ = run(["--offline", "-f", "csv", "--bom", "alice@gmail.com"])
    check(out.startswith(b"\xef\xbb\xbf"), "--bom")
    rc, out, _ = run(["--offline", "-f", "json", "--column", "E-Mail", "--list",
                      os.path.join(HERE, "lists", "semicolon.csv")])
    recs = jsonl(out)
    check(len(recs) == 2 and recs[0]["address"] == "hans@web.de",
          f"semicolon CSV, case-insensitive column: {recs}")

    # Chinese text output without a zh_CN locale
    rc, out, _ = run(["--offline", "bob@gamil.com"], lang="zh")
    text = out.decode("utf-8")
    check("gmail.com" in text and any("\u4e00" <= ch <= "\u9fff" for ch in text),
          f"zh text output: {text!r}")

    # bad input: each gets a clear error or a per-row verdict, never a crash
    with tempfile.TemporaryDirectory() as d:
        big = os.path.join(d, "big.txt")
        with open(big, "wb") as f:
            f.write(b"first@gmail.com\n" + b"a" * (10 << 20) + b"\nlast@gmail.com\n")
        rc, out, err = run(["--offline", "-f", "json", "--list", big])
        recs = jsonl(out)
        check(len(recs) == 3 and recs[1]["errors"][0]["code"] == "line_too_long"
              and recs[2]["input"] == "last@gmail.com", f"10 MB line: {[r['input'][:20] for r in recs]}")
        check("line too long" in err and "big.txt:2" in err, f"10 MB line named on stderr: {err!r}")
        junk = os.path.join(d, "junk.bin")
        with open(junk, "wb") as f:
            f.write(bytes(range(256)) * 64 + b"\nok@gmail.com\n")
        rc, out, err = run(["--offline", "-f", "json", "--list", junk])
        recs = jsonl(out)
        check(rc in (0, 4) and recs and recs[-1]["input"] == "ok@gmail.com",
              f"binary junk: rc {rc}, last {recs[-1:]}")
        bad = os.path.join(d, "bad.txt")
        with open(bad, "wb") as f:
            f.write(b"caf\xe9@example.org\n")
        rc, out, err = run(["--offline", "-f", "json", "--list", bad])
        recs = jsonl(out)
        check(recs and recs[0]["errors"][0]["code"] == "invalid_utf8",
              f"invalid UTF-8: {recs}")
        empty = os.path.join(d, "empty.txt")
        open(empty, "wb").close()
        rc, out, err = run(["--offline", "-f", "json", "--list", empty])
        check(rc == 0 and out == b"", f"empty file: rc {rc}, out {out!r}")
        rc, out, err = run(["--offline", "--column", "mail", "--list", csvp])
        check(rc == 1 and "no column named 'mail'" in err and "contacts.csv" in err,
              f"CSV without the column: rc {rc}, {err!r}")
        rc, out, err = run(["--offline", "--list", os.path.join(d, "nope.txt")])
        check(rc == 1 and "nope.txt" in err, f"missing file: rc {rc}, {err!r}")


def online():
    from server import DnsServer
    zones = os.path.join(HERE, "zones")
    with DnsServer(zones) as port:
        dns = ["--dns", f"127.0.0.1:{port}", "--timeout", "0.4"]
        cases = {
            "a@mmtest-ok.com": ("deliverable", "ok"),
            "a@mmtest-nullmx.com": ("undeliverable", "null_mx"),
            "a@mmtest-amx.com": ("deliverable", "implicit_mx"),
            "a@mmtest-nomail.com": ("undeliverable", "no_mail_host"),
            "a@mmtest-private.com": ("undeliverable", "misconfigured"),
            "a@mmtest-unresolved.com": ("undeliverable", "no_mail_host"),
            "a@no-such-domain-mmtest.com": ("undeliverable", "nxdomain"),
            "a@mmtest-broken.net": ("unknown", None),
            "a@nothing-here.org": ("unknown", "timeout"),
            "x@mailinator.com": ("risky", "ok"),
        }
        args = ["-f", "json"] + dns + list(cases)
        rc, out, err = run(args)
        recs = {r["input"]: r for r in jsonl(out)}
        for addr, (verdict, mx) in cases.items():
            r = recs.get(addr, {})
            check(r.get("verdict") == verdict, f"{addr}: verdict {r.get('verdict')} want {verdict}")
            if mx:
                check((r.get("mx") or {}).get("status") == mx,
                      f"{addr}: mx {(r.get('mx') or {}).get('status')} want {mx}")
        r = recs.get("a@mmtest-ok.com", {})
        hosts = [h["host"] for h in (r.get("mx") or {}).get("hosts", [])]
        check(hosts == ["mx1.mmtest-ok.com", "mx2.mmtest-ok.com"], f"MX hosts in order: {hosts}")
        check(rc == 4, f"online run with undeliverable -> 4 (got {rc})")

        # the typo rule: a domain with its own MX is not a typo
        rc, out, _ = run(["-f", "json"] + dns + ["bob@foxmial.com", "bob@sian.com"])
        recs = jsonl(out)
        check(recs[0].get("suggestion") is None and recs[0]["verdict"] == "deliverable",
              f"foxmial.com has MX: no suggestion: {recs[0]}")
        check(recs[1].get("suggestion") == "bob@sina.com" and recs[1]["verdict"] == "undeliverable",
              f"sian.com NXDOMAIN: suggestion kept: {recs[1]}")

        try:
            from postfix import Postfix, PostfixMissing
        except ImportError as e:
            check(False, f"tests/smtp/postfix.py: {e}")
            return
        try:
            pf = Postfix(domains=["mmtest-smtp.com", "mmtest-catchall.com"],
                         users=["user@mmtest-smtp.com", "@mmtest-catchall.com"],
                         access={"grey@mmtest-smtp.com": "450 4.7.1 greylisted, try again later",
                                 "full@mmtest-smtp.com": "452 4.2.2 mailbox full"})
            with pf:
                smtp = ["--smtp", "--allow-private", "--smtp-port", str(pf.port),
                        "--helo", "probe.mmtest.com"]
                cases = {
                    "user@mmtest-smtp.com": ("deliverable", "accepted"),
                    "nobody@mmtest-smtp.com": ("undeliverable", "rejected"),
                    "anyone@mmtest-catchall.com": ("risky", "catch_all"),
                    "grey@mmtest-smtp.com": ("unknown", "tempfail"),
                    "full@mmtest-smtp.com": ("risky", "tempfail"),
                }
                rc, out, err = run(["-f", "json"] + dns + smtp + list(cases)
                                   + ["nobody@mmtest-smtp.com"])
                lines = jsonl(out)
                check(len(lines) == 6 and lines[-1]["duplicate_of"] == 2
                      and lines[-1]["verdict"] == lines[1]["verdict"] == "undeliverable",
                      f"a repeat gets the same verdict under --smtp: {lines[-1:]}")
                recs = {r["input"]: r for r in lines[:-1]}
                for addr, (verdict, res) in cases.items():
                    r = recs.get(addr, {})
                    got = (r.get("smtp") or {}).get("result")
                    check(r.get("verdict") == verdict and got == res,
                          f"{addr}: {r.get('verdict')}/{got} want {verdict}/{res} ({err!r})")
                r = recs.get("nobody@mmtest-smtp.com", {})
                check((r.get("smtp") or {}).get("reply_code") == 550, "550 kept in the result")
                check((recs.get("user@mmtest-smtp.com", {}).get("smtp") or {}).get("tls") is True,
                      "STARTTLS used")
                check("DATA" not in pf.log(), "never DATA")
        except PostfixMissing as e:
            check(False, f"Postfix is needed for the SMTP tests: {e}")


def main():
    offline()
    if "--offline-only" not in sys.argv:
        online()
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
