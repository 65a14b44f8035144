"""run.py - start Unbound on the zones of tests/dns (server.py) and run a program
against it: every argument "@SERVER@" is replaced by 127.0.0.1:PORT.

    python3 run.py ZONES_DIR PROGRAM ARGS...

The server is stopped whatever the program does; its log is shown on failure.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import DnsServer  # noqa: E402

STUBS = {"slow.example": "blackhole"}  # a name server that never answers: timeouts
REFUSE = ["refused.example"]


def main():
    zones, cmd = sys.argv[1], sys.argv[2:]
    try:
        srv = DnsServer(zones, stubs=STUBS, refuse=REFUSE)
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
