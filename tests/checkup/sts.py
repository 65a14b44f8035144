#!/usr/bin/env python3
"""sts.py PROGRAM TESTS_DIR - the checkup's mta_sts section with the MTA-STS
policy fetched from a local HTTPS server (the server, routes and throw-away
CA of tests/dnsbl/fetch.py) on 127.0.0.1: a policy covering the MX, one not
covering it, an invalid policy, a 404.  Nothing leaves the machine."""
import http.server
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading

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
    tmp = tempfile.mkdtemp(prefix="mm-ck-sts-")
    srv = None
    try:
        fetch.make_certs(tmp)
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), fetch.Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(tmp, "srv.pem"), os.path.join(tmp, "srv.key"))
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        port = srv.server_address[1]
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        fails = 0
        for dom, want, fids in CASES:
            out = subprocess.run([prog, dom, str(port), os.path.join(tmp, "ca.pem")],
                                 capture_output=True, text=True, env=env, timeout=30)
            got = out.stdout.split()
            if not got or got[0] != want or any(f not in got for f in fids):
                fails += 1
                print("FAIL %s: got %s, want %s with %s %s" % (dom, got, want, fids,
                                                              out.stderr.strip()))
        print("%d checkup mta-sts cases, %d failed" % (len(CASES), fails))
        return 1 if fails else 0
    finally:
        if srv:
            srv.shutdown()
            srv.server_close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
