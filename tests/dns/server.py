"""server.py - a real DNS server (Unbound) on 127.0.0.1 for tests.

    from server import DnsServer
    with DnsServer(zones_dir, stubs={"slow.example": "blackhole"}) as port:
        ...  # ask 127.0.0.1:port

Every file NAME.zone in zones_dir is served authoritatively as zone NAME
(Unbound `auth-zone:` with for-downstream and for-upstream).  `stubs` maps a
zone name to "closed" (a loopback port nobody listens on) or "blackhole" (a
loopback UDP socket held open that never answers): either way Unbound keeps
retrying and its clients time out.  `refuse` lists zones answered with REFUSED.
For SERVFAIL, ship a zone file Unbound cannot use (no SOA: see
zones/servfail.example.zone): with fallback disabled it answers SERVFAIL.

Unbound never leaves the machine: the root zone itself is a stub to the closed
loopback port, so a name outside the zones gets no answer instead of a trip
to the Internet; there is no trust anchor, no remote control, no daemon.  The
server runs in a temporary directory and is stopped on exit from the `with`
block, even when the block fails.

Run alone to serve by hand:  python3 server.py ZONES_DIR [SECONDS]
"""
import ctypes
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

UNBOUND = os.environ.get("UNBOUND", "/usr/sbin/unbound")


def _die_with_parent():
    """In the child: get SIGTERM when the test process dies, however it dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _sigterm_to_exit(signum, frame):
    raise SystemExit(128 + signum)  # so `with DnsServer(...)` still stops the server


def free_port(kind=socket.SOCK_DGRAM):
    """A loopback port free for both UDP and TCP right now."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free loopback port")


def soa_query(port, zone, timeout=0.5):
    """True when 127.0.0.1:port answers a SOA query for zone (any RCODE)."""
    qname = b"".join(bytes([len(l)]) + l.encode() for l in zone.strip(".").split(".") if l)
    pkt = struct.pack(">HHHHHH", 0x4D4D, 0x0100, 1, 0, 0, 0) + qname + b"\0" + struct.pack(">HH", 6, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(pkt, ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
        return len(data) >= 12 and data[:2] == b"\x4d\x4d"
    except OSError:
        return False
    finally:
        s.close()


class DnsServer:
    def __init__(self, zones_dir, stubs=None, refuse=(), extra_conf="", verbose=False):
        self.zones_dir = os.path.abspath(zones_dir)
        self.stubs = dict(stubs or {})
        self.refuse = list(refuse)
        self.extra_conf = extra_conf
        self.verbose = verbose
        self.proc = None
        self.tmp = None
        self.blackhole = None
        self.port = None

    def zones(self):
        return sorted(f[:-5] for f in os.listdir(self.zones_dir) if f.endswith(".zone"))

    def _conf(self, closed_port, hole_port):
        zf = lambda z: os.path.join(self.zones_dir, z + ".zone")
        lines = [
            "server:",
            "  username: \"\"",
            "  chroot: \"\"",
            "  directory: \"%s\"" % self.tmp,
            "  pidfile: \"\"",
            "  do-daemonize: no",
            "  use-syslog: no",
            "  logfile: \"%s\"" % os.path.join(self.tmp, "unbound.log"),
            "  verbosity: %d" % (2 if self.verbose else 0),
            "  interface: 127.0.0.1@%d" % self.port,
            "  port: %d" % self.port,
            "  do-ip6: no",
            "  do-not-query-localhost: no",
            "  outgoing-interface: 127.0.0.1",
            "  access-control: 127.0.0.0/8 allow",
            "  module-config: \"iterator\"",
            "  num-threads: 1",
            "  so-reuseport: no",
            "  harden-referral-path: no",
            "  qname-minimisation: no",
            "  prefetch: no",
            "  minimal-responses: yes",
            "  outgoing-range: 64",
            "  num-queries-per-thread: 4096",
            # room for a burst of max_inflight queries (the benchmark sends hundreds at once)
            "  so-rcvbuf: 4m",
            "  so-sndbuf: 4m",
            # Unbound stops asking a dead stub for a while; keep its answers quick.
            "  infra-host-ttl: 60",
            "  serve-expired: no",
        ]
        # Unbound serves test., invalid., the documentation reverse zones and others as
        # empty local zones by default (RFC 6761); our zones must win.
        for z in self.zones() + list(self.stubs):
            lines.append("  local-zone: \"%s.\" nodefault" % z.strip("."))
        for z in self.refuse:
            lines.append("  local-zone: \"%s.\" always_refuse" % z.strip("."))
        lines.append(self.extra_conf)
        lines += ["remote-control:", "  control-enable: no"]
        for z in self.zones():
            lines += ["auth-zone:", "  name: \"%s.\"" % z.strip("."), "  zonefile: \"%s\"" % zf(z),
                      "  for-downstream: yes", "  for-upstream: yes", "  fallback-enabled: no"]
        stubs = {".": "closed"}
        stubs.update(self.stubs)
        for z, kind in stubs.items():
            port = closed_port if kind == "closed" else hole_port
            name = "." if z == "." else z.strip(".") + "."
            lines += ["stub-zone:", "  name: \"%s\"" % name, "  stub-addr: 127.0.0.1@%d" % port]
        return "\n".join(lines) + "\n"

    def __enter__(self):
        if not os.access(UNBOUND, os.X_OK):
            raise RuntimeError("%s not found: install the Debian package 'unbound' "
                               "(deps/debian-packages.txt)" % UNBOUND)
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _sigterm_to_exit)  # meson's timeout sends SIGTERM
        self.tmp = tempfile.mkdtemp(prefix="mm-dns-")
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self.port

    def _start(self):
        closed = free_port()  # nothing listens there: ICMP unreachable, SERVFAIL
        self.blackhole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.blackhole.bind(("127.0.0.1", 0))  # held, never read: queries time out
        self.port = free_port()
        conf = os.path.join(self.tmp, "unbound.conf")
        with open(conf, "w") as f:
            f.write(self._conf(closed, self.blackhole.getsockname()[1]))
        check = subprocess.run([UNBOUND + "-checkconf", conf], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError("unbound.conf rejected:\n" + check.stdout + check.stderr)
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
        probe = (self.zones() or ["."])[0]
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("unbound exited (%d): %s\n%s" % (
                    self.proc.returncode, self.proc.stderr.read().decode(errors="replace"),
                    self.log()))
            if soa_query(self.port, probe):
                return
            time.sleep(0.05)
        raise RuntimeError("unbound did not answer on 127.0.0.1:%d\n%s" % (self.port, self.log()))

    def log(self):
        try:
            with open(os.path.join(self.tmp, "unbound.log"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()
        if self.blackhole:
            self.blackhole.close()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return False


if __name__ == "__main__":
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3600
    with DnsServer(sys.argv[1], stubs={"slow.example": "blackhole"},
                   refuse=["refused.example"]) as p:
        print("unbound on 127.0.0.1:%d" % p, flush=True)
        try:
            time.sleep(seconds)
        except KeyboardInterrupt:
            pass
