"""run.py - serve tests/dnsbl/zones with Unbound on 127.0.0.1 (tests/dns/server.py)
and run a program against it: every argument "@SERVER@" becomes 127.0.0.1:PORT.

    python3 run.py ZONES_DIR PROGRAM ARGS...

The blocklist zones are served under their real names (zen.spamhaus.org, ...):
only this loopback server is asked, and its root is a stub to a closed loopback
port, so nothing leaves the machine.  bl.mailspike.net is a stub to a socket
that never answers: that list times out ("cannot tell").
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "dns"))
from server import DnsServer  # noqa: E402

STUBS = {"bl.mailspike.net": "blackhole", "slow.example": "blackhole"}


def main():
    zones, cmd = sys.argv[1], sys.argv[2:]
    try:
        srv = DnsServer(zones, stubs=STUBS)
        with srv as port:
            args = [a.replace("@SERVER@", "127.0.0.1:%d" % port) for a in cmd]
            rc = subprocess.call(args)
            if rc != 0:
                sys.stdout.write("--- unbound log ---\n" + srv.log())
            return rc
    except RuntimeError as e:
        print("run.py: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
