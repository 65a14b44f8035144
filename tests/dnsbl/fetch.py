"""fetch.py - the MTA-STS policy fetch (src/lib/transport/fetch.c) against a
local HTTPS server: python3 http.server + ssl on 127.0.0.1 with a certificate
made here by openssl for a throw-away CA.  libcurl is pointed at it with
CURLOPT_RESOLVE (mta-sts.DOMAIN:PORT -> 127.0.0.1) and the test CA, so no
name is looked up and nothing leaves the machine.

    python3 fetch.py PROGRAM
"""
import contextlib
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading

GOOD = b"version: STSv1\r\nmode: enforce\r\nmx: mail.good.example\r\nmx: *.good.example\r\nmax_age: 604800\r\n"
ROUTES = {  # Host -> (status, headers, body)
    "mta-sts.good.example": (200, {"Content-Type": "text/plain; charset=utf-8"}, GOOD),
    "mta-sts.lf.example": (200, {"Content-Type": "text/plain"},
                           b"version: STSv1\nmode: testing\nmx: mx.other.example\nmax_age: 86400\n"),
    "mta-sts.redirect.example": (301, {"Location": "https://mta-sts.good.example/"}, b""),
    "mta-sts.missing.example": (404, {"Content-Type": "text/plain"}, b"not found"),
    "mta-sts.html.example": (200, {"Content-Type": "text/html"}, GOOD),
    "mta-sts.big.example": (200, {"Content-Type": "text/plain"}, b"x" * 70000),
    "mta-sts.badpolicy.example": (200, {"Content-Type": "text/plain"},
                                  b"version: STSv1\nmode: enforced\nmax_age: 86400\n"),
    "mta-sts.wrongname.example": (200, {"Content-Type": "text/plain"}, GOOD),
}
SAN = [h for h in ROUTES if h != "mta-sts.wrongname.example"]

# domain, use the test CA, want (status, http code, valid, mode, nmx, covers)
CASES = [
    ("good.example", True, "ok 200 1 enforce 2 1"),
    ("lf.example", True, "ok 200 1 testing 1 0"),
    ("redirect.example", True, "redirect 301 - - 0 0"),
    ("missing.example", True, "http_error 404 - - 0 0"),
    ("html.example", True, "content_type 200 - - 0 0"),
    ("big.example", True, "too_big 200 - - 0 0"),
    ("badpolicy.example", True, "ok 200 0 unset 0 0"),
    ("wrongname.example", True, "tls 0 - - 0 0"),
    ("good.example", False, "tls 0 - - 0 0"),  # the system CAs do not trust our test CA
]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0]
        code, headers, body = ROUTES.get(host, (404, {}, b""))
        if self.path != "/.well-known/mta-sts.txt":
            code, headers, body = 404, {}, b""
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, capture_output=True)


def make_certs(d):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=mm test CA",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=mta-sts.good.example",
            "-keyout", "srv.key", "-out", "srv.csr", cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=" + ",".join("DNS:" + h for h in SAN) + "\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "srv.pem", cwd=d)


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


@contextlib.contextmanager
def https_server(prefix):
    """The policy server on 127.0.0.1 with a throw-away CA: yields (port, CA
    file), and always stops the server and removes its directory."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    srv = None
    try:
        make_certs(tmp)
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(tmp, "srv.pem"), os.path.join(tmp, "srv.key"))
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        yield srv.server_address[1], os.path.join(tmp, "ca.pem")
    finally:
        if srv:
            srv.shutdown()
            srv.server_close()
        shutil.rmtree(tmp, ignore_errors=True)


def no_proxy_env():
    """The environment without proxy settings: the fetch goes to loopback."""
    return {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def main():
    prog = sys.argv[1]
    if not shutil.which("openssl"):
        print("fetch.py: openssl not found (Debian package openssl)")
        return 1
    with https_server("mm-sts-") as (port, ca):
        env = no_proxy_env()
        cases = CASES + [("down.example", True, "network 0 - - 0 0")]
        fails = 0
        for dom, use_ca, want in cases:
            p = closed_port() if dom == "down.example" else port
            out = subprocess.run([prog, dom, str(p), "127.0.0.1", ca if use_ca else "-"],
                                 capture_output=True, text=True, env=env, timeout=30)
            got = out.stdout.strip()
            if got != want:
                fails += 1
                print("FAIL %s (ca=%s): got \"%s\", want \"%s\" %s" % (dom, use_ca, got, want,
                                                                      out.stderr.strip()))
        print("%d fetch cases, %d failed" % (len(cases), fails))
        return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
