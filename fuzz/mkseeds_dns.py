"""mkseeds_dns.py - seed corpus for fuzz_dns: real replies of Unbound serving
tests/dns/zones (one file per question), plus a few hand-made hostile packets.

    python3 fuzz/mkseeds_dns.py      (writes fuzz/fuzz_dns.in/)
"""
import os
import socket
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "dns"))
from server import DnsServer  # noqa: E402

QUESTIONS = [("ok.test", 15), ("nullmx.test", 15), ("nx.test", 15), ("nomail.test", 15),
             ("txt.test", 16), ("sel._domainkey.test", 16), ("alias.test", 5), ("alias.test", 15),
             ("multi.test", 1), ("mx1.ok.test", 28), ("parkedns.test", 2),
             ("25.100.51.198.in-addr.arpa", 12), ("x.servfail.example", 1),
             ("refused.example", 1), ("many.test", 15)]
TYPES = {1: "a", 2: "ns", 5: "cname", 12: "ptr", 15: "mx", 16: "txt", 28: "aaaa"}


def query(port, name, qtype):
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
    pkt = struct.pack(">HHHHHH", 0x4D4D, 0x0100, 1, 0, 0, 1) + q + b"\0" + struct.pack(">HH", qtype, 1)
    pkt += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)  # EDNS, as c-ares sends it
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.sendto(pkt, ("127.0.0.1", port))
    data, _ = s.recvfrom(65535)
    s.close()
    return data


def main():
    out = os.path.join(HERE, "fuzz_dns.in")
    os.makedirs(out, exist_ok=True)
    with DnsServer(os.path.join(HERE, "..", "tests", "dns", "zones"),
                   refuse=["refused.example"]) as port:
        for name, t in QUESTIONS:
            with open(os.path.join(out, "%s-%s" % (name, TYPES[t])), "wb") as f:
                f.write(query(port, name, t))
    hdr = struct.pack(">HHHHHH", 1, 0x8180, 1, 1, 0, 0) + b"\x07example\x03com\0" + struct.pack(">HH", 5, 1)
    loop = hdr + b"\xc0\x1d" + struct.pack(">HHIH", 5, 1, 1, 2) + b"\xc0\x1d"
    with open(os.path.join(out, "hostile-pointer-loop"), "wb") as f:
        f.write(loop)
    with open(os.path.join(out, "hostile-short"), "wb") as f:
        f.write(hdr[:11])


if __name__ == "__main__":
    main()
