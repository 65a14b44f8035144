"""
postfix.py - a private Postfix instance on a loopback port, for tests.

    with Postfix(users=[...]) as pf:
        ... connect to 127.0.0.1:pf.port ...

The instance has its own config_directory, queue_directory and
data_directory in a temporary directory, listens only on 127.0.0.1 at a
free port, and is started with `postfix -c DIR start` and always stopped
with `postfix -c DIR stop` (then its master is killed by pid if it is still
there), even when the test fails.  A system Postfix is never touched: every
command names our own -c directory.

What it serves (tests may override every table):
  - virtual mailbox domains example.test and catchall.test, no relaying;
  - users:      existing mailboxes (default user@example.test) and a
                catch-all entry @catchall.test;
  - access:     check_recipient_access map, e.g. an address mapped to
                "450 4.7.1 greylisted, try again later";
  - an unknown user gets 550 5.1.1 (smtpd_reject_unlisted_recipient);
  - STARTTLS with a self-signed certificate made here by `openssl req`.

Needs the Debian postfix package (mail_owner postfix, setgid_group
postdrop) and openssl; run as root.  Raises PostfixMissing with a clear
message when something is missing.
"""

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

POSTFIX = "/usr/sbin/postfix"
DAEMON_DIR = "/usr/lib/postfix/sbin"

DEFAULT_USERS = ["user@example.test", "other@example.test", "@catchall.test"]
DEFAULT_ACCESS = {
    "greylisted@example.test": "450 4.7.1 greylisted, try again later",
    "full@example.test": "452 4.2.2 mailbox full",
}

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
virtual   unix  -       n       n       -       -       virtual
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
mydestination =
relay_domains =
relayhost =
mynetworks = 127.0.0.1/32
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtpd_banner = $myhostname ESMTP test instance
maillog_file = {base}/maillog
maillog_file_prefixes = {base}
virtual_mailbox_domains = example.test catchall.test
virtual_mailbox_maps = texthash:{conf}/vmailbox
virtual_mailbox_base = {base}/mail
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtpd_reject_unlisted_recipient = yes
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:{conf}/access, reject_unauth_destination
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
smtpd_client_connection_rate_limit = 0
smtpd_tls_security_level = may
smtpd_tls_cert_file = {conf}/cert.pem
smtpd_tls_key_file = {conf}/key.pem
smtpd_tls_loglevel = 1
smtputf8_enable = yes
"""


class PostfixMissing(RuntimeError):
    pass


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def check_tools():
    """Raise PostfixMissing unless postfix, its daemons and openssl are here."""
    missing = [p for p in (POSTFIX, os.path.join(DAEMON_DIR, "master"),
                           os.path.join(DAEMON_DIR, "smtpd")) if not os.access(p, os.X_OK)]
    if not shutil.which("openssl"):
        missing.append("openssl")
    if missing:
        raise PostfixMissing("needed for the SMTP tests but missing: %s "
                             "(install the Debian packages postfix and openssl)" % ", ".join(missing))
    if os.geteuid() != 0:
        raise PostfixMissing("a private Postfix instance must be started as root")
    try:
        pwd.getpwnam("postfix")
        grp.getgrnam("postdrop")
    except KeyError:
        raise PostfixMissing("the user postfix or the group postdrop is missing "
                             "(the Debian postfix package creates them)")


class Postfix:
    """A private Postfix instance; a context manager that always stops it."""

    def __init__(self, users=None, access=None, port=None, keep=False):
        self.users = DEFAULT_USERS if users is None else users
        self.access = DEFAULT_ACCESS if access is None else access
        self.port = port or free_port()
        self.keep = keep            # keep the directory (for debugging)
        self.base = None
        self.conf = None
        self.started = False

    # -- set-up --------------------------------------------------------
    def _write(self, name, text):
        with open(os.path.join(self.conf, name), "w") as f:
            f.write(text)

    def _make_cert(self):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", os.path.join(self.conf, "key.pem"),
                        "-out", os.path.join(self.conf, "cert.pem"),
                        "-days", "2", "-subj", "/CN=mx.example.test"],
                       check=True, capture_output=True)
        os.chmod(os.path.join(self.conf, "key.pem"), 0o600)

    def _configure(self):
        self.base = tempfile.mkdtemp(prefix="mm-postfix-")
        # The postfix user must reach the queue below the temporary directory.
        os.chmod(self.base, 0o755)
        self.conf = os.path.join(self.base, "etc")
        queue = os.path.join(self.base, "spool")
        data = os.path.join(self.base, "data")
        for d in (self.conf, queue, data, os.path.join(self.base, "mail")):
            os.mkdir(d, 0o755)
        shutil.chown(data, "postfix", "postfix")
        shutil.chown(os.path.join(self.base, "mail"), 65534, 65534)
        self._write("main.cf", MAIN_CF.format(queue=queue, data=data, conf=self.conf,
                                              base=self.base))
        self._write("master.cf", MASTER_CF.format(port=self.port))
        self._write("vmailbox", "".join("%s %s/\n" % (u, u.replace("@", "_") or "x")
                                        for u in self.users))
        self._write("access", "".join("%s %s\n" % kv for kv in self.access.items()))
        self._make_cert()

    def _postfix(self, *args, check=True):
        r = subprocess.run([POSTFIX, "-c", self.conf] + list(args),
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("postfix -c %s %s failed (%d): %s%s" %
                               (self.conf, " ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def _wait_listening(self, timeout=15.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.settimeout(5)
                    if s.recv(512).startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("Postfix did not answer on 127.0.0.1:%d; log:\n%s" %
                           (self.port, self.log()))

    def _master_pid(self):
        try:
            with open(os.path.join(self.base, "spool", "pid", "master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    # -- public --------------------------------------------------------
    def start(self):
        check_tools()
        self._configure()
        # Creates the queue subdirectories with the right owners.
        self._postfix("set-permissions")
        self._postfix("check")
        # Set first: if start fails half-way, stop() must still run.
        self.started = True
        self._postfix("start")
        self._wait_listening()
        return self

    def stop(self):
        if self.started:
            pid = self._master_pid()
            self._postfix("stop", check=False)
            # Belt and braces: our own master, by its pid, never by name.
            end = time.monotonic() + 10
            while pid and time.monotonic() < end:
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                time.sleep(0.1)
            else:
                if pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            self.started = False
        if self.base and not self.keep:
            shutil.rmtree(self.base, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.base, "maillog"), errors="replace") as f:
                return f.read()
        except OSError:
            return "(no log)"

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
        return False


if __name__ == "__main__":
    # Manual check: start, print the port, wait for Enter, stop.
    with Postfix(keep=True) as pf:
        print("postfix on 127.0.0.1:%d, directory %s" % (pf.port, pf.base))
        input("Enter to stop> ")
