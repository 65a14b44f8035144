#!/usr/bin/env python3
"""sts.py PROGRAM TESTS_DIR - the checkup's mta_sts section with the MTA-STS
policy fetched from a local HTTPS server (the server, routes and throw-away
CA of tests/dnsbl/fetch.py) on 127.0.0.1: a policy covering the MX, one not
covering it, an invalid policy, a 404.  Nothing leaves the machine."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(sys.argv[2], "dnsbl"))
import fetch  # noqa: E402

CASES = [  # domain, want status, finding ids that must be there
    ("good.example", "ok", ["mta_sts.found", "mta_sts.mx_covered"]),
    ("lf.example", "fail", ["mta_sts.mx_not_covered"]),
    ("badpolicy.example", "fail", ["mta_sts.policy_invalid"]),
    ("missing.example", "fail", ["mta_sts.fetch_http_error"]),
]


def main():
    prog = sys.argv[1]
    if not shutil.which("openssl"):
        print("sts.py: openssl not found (Debian package openssl)")
        return 1
    with fetch.https_server("mm-ck-sts-") as (port, ca):
        env = fetch.no_proxy_env()
        fails = 0
        for dom, want, fids in CASES:
            out = subprocess.run([prog, dom, str(port), ca],
                                 capture_output=True, text=True, env=env, timeout=30)
            got = out.stdout.split()
            if not got or got[0] != want or any(f not in got for f in fids):
                fails += 1
                print("FAIL %s: got %s, want %s with %s %s" % (dom, got, want, fids,
                                                              out.stderr.strip()))
        print("%d checkup mta-sts cases, %d failed" % (len(CASES), fails))
        return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
