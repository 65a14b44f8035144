#!/usr/bin/env python3
"""
run.py MAILMEDIC TESTS_DIR - `mailmedic checkup` end to end against a real
Unbound on 127.0.0.1 (tests/dns/server.py) serving tests/checkup/zones/:
a good domain (SPF -all with an include, DKIM 2048, DMARC p=reject, MX, PTR
and FCrDNS for an IPv4 and an IPv6 sending IP), broken ones (+all, 11
look-ups, two SPF records, 512-bit / revoked / testing DKIM keys, p=none, no
DMARC, an unauthorized external rua, PTR missing / not forward-confirmed /
generic) and a zone whose server never answers (temperror / unknown);
blocklists served under their real zone names (zen.spamhaus.org, ...:
a listed IP, a refusal code, a minor-list listing, a DBL-listed domain) and
MTA-STS / TLS-RPT / BIMI records good and broken.  The MTA-STS policy is
never fetched here (--no-fetch: the fetch is tested against a local HTTPS
server in tests/dnsbl/fetch.py).
Checks the JSON statuses and finding ids, the single-check JSON shapes, the
Markdown and the zh text, the exit codes, and the time of a full checkup.
Nothing but loopback is ever asked.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

MM = sys.argv[1]
TESTS = sys.argv[2]
HERE = os.path.join(TESTS, "checkup")
sys.path.insert(0, os.path.join(TESTS, "dns"))
from server import DnsServer  # noqa: E402

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


PORT = None


def run(args, lang="en", fmt="json"):
    e = dict(os.environ, LANG="C", LANGUAGE="")
    e.pop("LC_ALL", None)
    # --no-fetch: the MTA-STS policy would be fetched from the real mta-sts.DOMAIN
    cmd = [MM, "--lang", lang, "checkup"] + args + ["--dns", "127.0.0.1:%d" % PORT, "--no-fetch"]
    if fmt:
        cmd += ["-f", fmt]
    p = subprocess.run(cmd, capture_output=True, env=e, timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    if fmt == "json":
        try:
            out = json.loads(out)
        except ValueError:
            print("not JSON:", args, out[:500], p.stderr.decode()[:500])
            out = {}
    return p.returncode, out


def ids(r, sec):
    return [f["id"] for f in r.get("sections", {}).get(sec, {}).get("findings", [])]


def status(r, sec):
    return r.get("sections", {}).get(sec, {}).get("status")


def sec_ids(r):
    return [f["id"] for f in r.get("findings", [])]


def verdict(r, vid):
    for v in r.get("verdicts", []):
        if v["id"] == vid:
            return v["status"]
    return None


def good():
    rc, r = run(["mmck-good.com", "--ip", "5.6.7.20", "--helo", "mail.mmck-good.com"])
    check(rc == 0, "good: exit 0, got %d" % rc)
    for s in ("spf", "dkim", "dmarc", "mx", "ptr", "dnsbl", "mta_sts"):
        check(status(r, s) == "ok", "good: %s ok, got %s %s" % (s, status(r, s), ids(r, s)))
    check("dnsbl.not_listed" in ids(r, "dnsbl"), "good: dnsbl.not_listed")
    for f in ("mta_sts.found", "tlsrpt.found", "bimi.found", "mta_sts.policy_not_fetched"):
        check(f in ids(r, "mta_sts"), "good: %s in %s" % (f, ids(r, "mta_sts")))
    check(r.get("grade") == "A", "good: grade A, got %s" % r.get("grade"))
    for v in ("google", "yahoo", "microsoft", "qq", "netease", "aliyun"):
        check(verdict(r, v) == "met", "good: %s met, got %s" % (v, verdict(r, v)))
    ev = r["sections"]["spf"]["evidence"]
    check(any("include:_spf.mmck-provider.com" in e for e in ev), "good: include tree in evidence")
    check(r["sections"]["spf"]["details"].get("result") == "pass", "good: spf pass")
    # IPv6 sending IP
    rc, r = run(["mmck-good.com", "--ip", "2a01:4f8:1:2::20"])
    check(rc == 0 and status(r, "ptr") == "ok", "good v6: ptr ok (%d, %s)" % (rc, ids(r, "ptr")))
    check(r["sections"]["spf"]["details"].get("result") == "pass", "good v6: spf pass")
    # no --ip: PTR cannot tell, the receivers' verdicts cannot tell
    rc, r = run(["mmck-good.com"])
    check(status(r, "ptr") == "unknown" and "ptr.no_ip" in ids(r, "ptr"), "no ip: ptr unknown")
    check(verdict(r, "google") == "cannot_tell", "no ip: google cannot_tell")
    check(verdict(r, "microsoft") == "cannot_tell", "no ip: microsoft cannot_tell (spf)")
    check(rc == 0, "no ip: exit 0, got %d" % rc)
    # a sending IP the record does not cover
    rc, r = run(["mmck-good.com", "--ip", "5.6.7.21", "--provider", "tencent"])
    check(status(r, "spf") == "fail" and "spf.not_covered" in ids(r, "spf"),
          "uncovered ip: spf.not_covered %s" % ids(r, "spf"))
    check(rc == 5, "uncovered ip: exit 5, got %d" % rc)
    fixes = r["sections"]["spf"]["fixes"]
    check(fixes and "include:spf.mail.qq.com" in fixes[0]["value"] and
          "ip4:5.6.7.21" in fixes[0]["value"] and fixes[0]["value"].endswith("-all"),
          "uncovered ip: fix names the provider and the IP: %s" % fixes)
    check(verdict(r, "google") == "not_met", "uncovered ip: google not_met")


def broken():
    cases = [
        ("mmck-plusall.com", "spf", "fail", "spf.pass_all"),
        ("mmck-lookups.com", "spf", "fail", "spf.too_many_lookups"),
        ("mmck-twospf.com", "spf", "fail", "spf.multiple"),
        ("mmck-weak.com", "dkim", "fail", "dkim.key_too_small"),
        ("mmck-revoked.com", "dkim", "fail", "dkim.key_revoked"),
        ("mmck-testing.com", "dkim", "warn", "dkim.testing"),
        ("mmck-weak.com", "dmarc", "warn", "dmarc.p_none"),
        ("mmck-plusall.com", "dmarc", "fail", "dmarc.no_record"),
        ("mmck-nodmarc.com", "dmarc", "fail", "dmarc.no_record"),
        ("mmck-extrua.com", "dmarc", "warn", "dmarc.external_unauthorized"),
    ]
    for dom, sec, st, fid in cases:
        rc, r = run([dom])
        check(status(r, sec) == st and fid in ids(r, sec),
              "%s: %s %s with %s, got %s %s" % (dom, sec, st, fid, status(r, sec), ids(r, sec)))
        worst = max(r.get("sections", {}).values(), key=lambda s: ["ok", "unknown",
                    "not_checked", "warn", "fail"].index(s["status"]))["status"]
        check(rc == {"fail": 5, "warn": 4}.get(worst, 0), "%s: exit %d for %s" % (dom, rc, worst))
    rc, r = run(["mmck-lookups.com"])
    check(r["sections"]["spf"]["details"].get("tree_lookups") == 11, "lookups: 11 counted")
    rc, r = run(["mmck-nodmarc.com"])
    fx = r["sections"]["dmarc"]["fixes"]
    check(fx and fx[0]["name"] == "_dmarc.mmck-nodmarc.com" and
          fx[0]["value"].startswith("v=DMARC1; p=none"), "nodmarc: fix publishes a record")
    check(verdict(r, "google") in ("not_met",), "nodmarc: google not_met")
    rc, r = run(["mmck-extrua.com"])
    fx = r["sections"]["dmarc"]["fixes"]
    check(fx and fx[0]["name"] == "mmck-extrua.com._report._dmarc.mmck-other.net",
          "extrua: fix names the authorization record %s" % fx)
    rc, r = run(["mmck-plusall.com", "--provider", "google"])
    fx = r["sections"]["spf"]["fixes"]
    check(fx and fx[0]["value"] == "v=spf1 include:_spf.google.com -all",
          "plusall google: the record to publish %s" % fx)
    check(r.get("grade") == "F", "plusall: grade F, got %s" % r.get("grade"))


def ptr():
    rc, r = run(["ptr", "5.6.7.21"])
    check(rc == 5 and r.get("status") == "fail" and "ptr.missing" in sec_ids(r),
          "ptr missing: %d %s" % (rc, r))
    rc, r = run(["ptr", "5.6.7.22"])
    check(r.get("fcrdns") is False and "ptr.not_fcrdns" in sec_ids(r), "ptr not confirmed")
    rc, r = run(["ptr", "5.6.7.23", "--helo", "mail.mmck-good.com"])
    check(r.get("fcrdns") is True and r.get("generic") is True and "ptr.generic" in sec_ids(r),
          "ptr generic")
    check("ptr.helo_mismatch" in sec_ids(r) and rc == 4, "ptr helo mismatch, exit 4")
    rc, r = run(["ptr", "2a01:4f8:1:2::20", "--helo", "mail.mmck-good.com"])
    check(rc == 0 and r.get("fcrdns") and r.get("helo_match") and
          r.get("names") == ["mail.mmck-good.com"], "ptr v6 ok: %s" % r)


def single():
    rc, r = run(["spf", "mmck-good.com", "--ip", "5.6.7.20", "--mail-from", "a@mmck-good.com",
                 "--helo", "mail.mmck-good.com"])
    check(r.get("result") == "pass" and "explanation" in r and isinstance(r.get("lookups"), int),
          "spf single: shape %s" % r)
    check(r.get("helo", {}).get("result") == "none", "spf single: helo result")
    check(rc == 0, "spf single: exit 0")
    rc, r = run(["spf", "mmck-good.com", "--ip", "5.6.9.9"])
    check(r.get("result") == "fail" and rc == 5, "spf single: fail (%d %s)" % (rc, r.get("result")))
    rc, r = run(["spf", "mmck-lookups.com", "--ip", "5.6.9.11"])
    check(r.get("result") == "permerror", "spf single: 11 lookups permerror, got %s" % r.get("result"))
    msgs = os.path.join(HERE, "msgs")
    rc, r = run(["dkim", "--message", os.path.join(msgs, "signed.eml")])
    sigs = r.get("signatures", [])
    check([(s["result"], s["selector"], s["reason"]) for s in sigs] ==
          [("permerror", "nokey", "key_not_found"), ("pass", "default", "none")],
          "dkim single: signatures in header order %s" % sigs)
    check(all(set(s) >= {"result", "domain", "selector", "algorithm", "reason"} for s in sigs),
          "dkim single: keys")
    rc, r = run(["dkim", "--message", os.path.join(msgs, "tampered.eml")])
    sigs = r.get("signatures", [])
    check(len(sigs) == 2 and sigs[1]["result"] == "fail" and
          sigs[1]["reason"] == "body_hash_mismatch" and rc == 5, "dkim tampered: %s" % sigs)
    rc, r = run(["dmarc", "mmck-good.com"])
    check(r.get("found") is True and r.get("policy") == "reject" and r.get("status") == "ok",
          "dmarc single %s" % r)
    rc, r = run(["dmarc", "mmck-good.com", "--ip", "5.6.7.20", "--message",
                 os.path.join(msgs, "signed.eml")])
    m = r.get("message", {})
    check(m.get("result") == "pass" and m.get("spf_aligned") and m.get("dkim_aligned"),
          "dmarc message pass %s" % m)
    rc, r = run(["dmarc", "mmck-good.com", "--ip", "5.6.9.9", "--message",
                 os.path.join(msgs, "tampered.eml")])
    m = r.get("message", {})
    check(m.get("result") == "fail" and rc == 5, "dmarc message fail %s" % m)
    rc, r = run(["mx", "mmck-good.com"])
    check(r.get("status") == "ok" and "mx.ok" in sec_ids(r), "mx single %s" % r)
    rc, r = run(["mx", "mmck-nomx-nowhere.com"])
    check(r.get("status") == "fail" and rc == 5, "mx nxdomain %s" % r)


def blocklists():
    # a listed sending IP in the full report: fail, with the reason and the delisting page
    rc, r = run(["mmck-good.com", "--ip", "5.6.7.30"])
    check(status(r, "dnsbl") == "fail" and "dnsbl.listed" in ids(r, "dnsbl"),
          "listed ip: dnsbl fail %s %s" % (status(r, "dnsbl"), ids(r, "dnsbl")))
    fx = r["sections"]["dnsbl"]["fixes"]
    check(fx and fx[0]["value"].startswith("https://check.spamhaus.org"),
          "listed ip: the delisting page as the fix %s" % fx)
    ev = r["sections"]["dnsbl"]["evidence"]
    check(any("SBL999" in e for e in ev), "listed ip: the TXT reason in the evidence")
    check(rc == 5, "listed ip: exit 5, got %d" % rc)
    # single checks
    rc, r = run(["dnsbl", "5.6.7.30"])
    check(r.get("status") == "fail" and "dnsbl.code.sbl" in sec_ids(r) and rc == 5,
          "dnsbl single listed: %d %s" % (rc, sec_ids(r)))
    zen = [x for x in r.get("lists", []) if x["list"] == "spamhaus-zen"]
    check(zen and zen[0]["status"] == "listed" and zen[0]["codes"] == "127.0.0.2 (sbl)" and
          "SBL999" in zen[0]["txt"] and zen[0]["major"] and zen[0]["delist_url"],
          "dnsbl single: the lists array %s" % zen)
    rc, r = run(["dnsbl", "5.6.7.31"])
    check([x["status"] for x in r.get("lists", []) if x["list"] == "spamhaus-zen"] == ["refused"],
          "dnsbl single: refused in the lists array")
    check(r.get("status") == "unknown" and "dnsbl.refused" in sec_ids(r) and
          "dnsbl.listed" not in sec_ids(r) and rc == 0,
          "dnsbl refusal is cannot tell, not a listing: %d %s" % (rc, sec_ids(r)))
    rc, r = run(["dnsbl", "5.6.7.32"])
    check(r.get("status") == "warn" and "dnsbl.listed_minor" in sec_ids(r) and rc == 4,
          "dnsbl minor list: warn %d %s" % (rc, sec_ids(r)))
    rc, r = run(["dnsbl", "5.6.7.20"])
    check(r.get("status") == "ok" and "dnsbl.not_listed" in sec_ids(r) and rc == 0,
          "dnsbl unlisted ip: ok %d %s" % (rc, sec_ids(r)))
    rc, r = run(["dnsbl", "mmck-dbl.com"])
    check(r.get("status") == "fail" and "dnsbl.listed" in sec_ids(r) and rc == 5 and
          any("dbl.spamhaus.org" in f["detail"] for f in r.get("findings", [])),
          "dnsbl listed domain on the DBL: %d %s" % (rc, sec_ids(r)))
    rc, r = run(["dnsbl", "mail.mmck-dbl.com"])
    check(r.get("status") == "fail", "dnsbl: a host name is checked by its registered domain")
    rc, out = run(["dnsbl", "5.6.7.31"], fmt=None)
    check("127.255.255.254" in out and rc == 0, "dnsbl refusal in text")


def transport():
    rc, r = run(["mta-sts", "mmck-good.com"])
    check(r.get("status") == "ok" and rc == 0, "mta-sts good: ok %d %s" % (rc, sec_ids(r)))
    rc, r = run(["mta-sts", "mmck-badsts.com"])
    f = sec_ids(r)
    check(r.get("status") == "fail" and "mta_sts.invalid" in f and "mta_sts.bad_id" in f and
          "tlsrpt.invalid" in f and "tlsrpt.rua_scheme" in f and rc == 5,
          "mta-sts broken records: fail %d %s" % (rc, f))
    rc, r = run(["mta-sts", "mmck-twosts.com"])
    check(r.get("status") == "fail" and "mta_sts.multiple" in sec_ids(r),
          "mta-sts two records: fail %s" % sec_ids(r))
    rc, r = run(["mta-sts", "mmck-nodmarc.com"])
    f = sec_ids(r)
    check(r.get("status") == "warn" and "mta_sts.none" in f and "tlsrpt.none" in f and
          "bimi.none" in f and rc == 4, "mta-sts none: warn at most %d %s" % (rc, f))
    fx = r.get("fixes", [])
    check(fx and fx[0]["value"].startswith("v=TLSRPTv1; rua=mailto:"), "tls-rpt fix %s" % fx)


def formats():
    rc, out = run(["mmck-good.com", "--ip", "5.6.7.20"], lang="zh", fmt=None)
    check("该域名有可以连接的邮件服务器" in out, "zh text: translated MX message")
    check("mmck-good.com" in out and rc == 0, "zh text: domain, exit 0")
    rc, out = run(["mmck-plusall.com"], fmt="markdown")
    check(out.startswith("## ") and "```" in out and "**" in out and rc == 5, "markdown")
    rc, out = run(["mmck-good.com", "--provider", "nosuch"], fmt=None)
    check(rc == 2, "bad provider: exit 2")
    rc, out = run(["mmck-good.com", "--ip", "not-an-ip"], fmt=None)
    check(rc == 2, "bad ip: exit 2")
    rc, out = run(["dkim", "--message", "/nonexistent/file.eml"], fmt=None)
    check(rc == 1, "unreadable message: exit 1")


def blackhole():
    rc, r = run(["mmck-dead.org", "--ip", "5.6.7.20", "--timeout", "0.2"])
    check(status(r, "spf") == "unknown", "dead: spf unknown, got %s %s" % (status(r, "spf"),
                                                                           ids(r, "spf")))
    check(r.get("sections", {}).get("spf", {}).get("details", {}).get("result") == "temperror",
          "dead: spf temperror")
    check(status(r, "dmarc") == "unknown", "dead: dmarc unknown, got %s" % status(r, "dmarc"))
    check(status(r, "mx") == "unknown", "dead: mx unknown, got %s" % status(r, "mx"))
    check(verdict(r, "google") in ("cannot_tell", "not_met"), "dead: google cannot tell")


def timing():
    best = None
    for _ in range(5):
        t = time.monotonic()
        rc, r = run(["mmck-good.com", "--ip", "5.6.7.20", "--helo", "mail.mmck-good.com"])
        dt = (time.monotonic() - t) * 1000
        best = dt if best is None else min(best, dt)
    lib_ms = r.get("elapsed_ms")
    print("full checkup: %.1f ms wall (process), %s ms in the library" % (best, lib_ms))
    check(lib_ms is not None and lib_ms < 100, "full checkup under 100 ms (%s)" % lib_ms)


def offline():
    """--zone: the same answers from the zone files, no server asked."""
    z = os.path.join(HERE, "zones")

    def zrun(args, fmt="json"):
        e = dict(os.environ, LANG="C", LANGUAGE="")
        e.pop("LC_ALL", None)
        p = subprocess.run([MM, "checkup"] + args + (["-f", fmt] if fmt else []),
                           capture_output=True, env=e, timeout=60)
        out = p.stdout.decode()
        return p.returncode, (json.loads(out) if fmt == "json" and out else out), p.stderr.decode()

    rc, r, _ = zrun(["mmck-good.com", "--ip", "5.6.7.20", "--zone", os.path.join(z, "com.zone"),
                     "--zone", os.path.join(z, "7.6.5.in-addr.arpa.zone")])
    check(rc == 0 and all(status(r, s) == "ok" for s in ("spf", "dkim", "dmarc", "mx", "ptr")),
          "zone: good domain all ok (%d)" % rc)
    rc, r, _ = zrun(["mmck-extrua.com", "--zone", os.path.join(z, "com.zone")])
    check("dmarc.external_unauthorized" in ids(r, "dmarc"),
          "zone: a name outside the zones is NXDOMAIN (unauthorized rua)")
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "example.org.zone")
        with open(f, "w") as fp:
            fp.write('$ORIGIN example.org.\n$TTL 1h\n'
                     '@ IN SOA ns hostmaster ( 1 3600\n 600 86400 300 ) ; comment\n'
                     '@ 300 IN TXT "v=spf1 ip4:5.6.7.20 " "-all"\n'
                     '  MX 10 mail\n'
                     'mail A 5.6.7.20\n'
                     'www CNAME mail.example.org.\n'
                     '_dmarc TXT "v=DMARC1\\; p=quarantine; rua=mailto:d@example.org"\n')
        rc, r, err = zrun(["example.org", "--ip", "5.6.7.20", "--zone", f])
        check(r["sections"]["spf"]["details"].get("result") == "pass",
              "zone: split TXT strings joined, spf pass %s" % err)
        check(r["sections"]["dmarc"]["details"].get("policy") == "quarantine",
              "zone: escaped ; in TXT, dmarc quarantine")
        check(status(r, "mx") == "ok", "zone: relative MX target, mx ok")
        rc, r, err = zrun(["mx", "www.example.org", "--zone", f])
        check(r.get("status") == "warn" and "mx.implicit_mx" in sec_ids(r),
              "zone: CNAME followed for A (implicit MX) %s" % r)
        bad = os.path.join(d, "bad.zone")
        with open(bad, "w") as fp:
            fp.write('$ORIGIN bad.org.\n@ TXT "unterminated\n')
        rc, out, err = zrun(["bad.org", "--zone", bad], fmt=None)
        check(rc == 1 and "line" in err, "zone: syntax error gives exit 1 and the line (%d %s)"
              % (rc, err))


def main():
    global PORT
    with DnsServer(os.path.join(HERE, "zones"), stubs={"mmck-dead.org": "blackhole"}) as port:
        PORT = port
        for f in (good, broken, ptr, single, blocklists, transport, formats, blackhole, timing,
                  offline):
            f()
    print("%d checks, %d failures" % (checks, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
