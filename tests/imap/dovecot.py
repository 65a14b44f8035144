#!/usr/bin/env python3
"""A private Dovecot IMAP server on loopback for the IMAP tests.

    with Dovecot() as d:            # or Dovecot(messages=[bytes, ...])
        d.imap_port, d.imaps_port, d.cafile, d.user, d.password
        d.append(raw_bytes)         # add a message to INBOX (imaplib)
        d.flags(uid), d.uids(folder)

Everything lives in a temporary directory: dovecot.conf (base_dir, logs,
state), a self-signed certificate made by `openssl req` (the test trusts it
explicitly through cafile), a passwd-file with one test user, a static
userdb with the uid/gid of the user running the test and Maildir storage.
No system auth, no system paths.  `dovecot -F -c CONF` is started on two
free loopback ports (imap with STARTTLS, imaps) and always stopped.
As root the mail files belong to the 'dovecot' system user instead (Dovecot
refuses mail access as uid 0); as non-root Dovecot runs all its services as
the current user.
"""
import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

USER = 'bounces@example.net'
PASSWORD = 'pa55-w0rd with spaces!'  # no ':' (passwd-file separator)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def need(binary):
    path = shutil.which(binary) or (os.path.exists('/usr/sbin/' + binary) and '/usr/sbin/' + binary)
    if not path:
        raise RuntimeError(f'{binary} not found: install dovecot-imapd and openssl '
                           '(deps/debian-packages.txt)')
    return path


class Dovecot:
    def __init__(self, messages=()):
        self.messages = list(messages)
        self.user, self.password = USER, PASSWORD
        self.proc = None
        self.dir = None

    # ---- set-up ----
    def _cert(self):
        self.cafile = os.path.join(self.dir, 'cert.pem')
        self.keyfile = os.path.join(self.dir, 'key.pem')
        subprocess.run([need('openssl'), 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
                        '-keyout', self.keyfile, '-out', self.cafile, '-days', '2',
                        '-subj', '/CN=localhost',
                        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
                       check=True, capture_output=True)

    def _owner(self):
        if os.geteuid() == 0:
            pw = pwd.getpwnam('dovecot')
            return pw.pw_uid, pw.pw_gid
        return os.getuid(), os.getgid()

    def _conf(self):
        d = self.dir
        uid, gid = self._owner()
        self.imap_port, self.imaps_port = free_port(), free_port()
        with open(os.path.join(d, 'passwd'), 'w') as f:
            f.write(f'{USER}:{{PLAIN}}{PASSWORD}::::::\n')
        me = pwd.getpwuid(os.getuid()).pw_name
        nonroot = '' if os.geteuid() == 0 else f'''
default_internal_user = {me}
default_internal_group = {pwd.getpwuid(os.getuid()).pw_name}
default_login_user = {me}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
'''
        conf = f'''# written by tests/imap/dovecot.py
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cafile}
ssl_key = <{self.keyfile}
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login
disable_plaintext_auth = no
auth_failure_delay = 0
auth_verbose = yes
first_valid_uid = {min(uid, 1) if uid else 1}
first_valid_gid = {min(gid, 1) if gid else 1}
mail_location = maildir:{d}/mail/%u:LAYOUT=fs
namespace inbox {{
  inbox = yes
  separator = /
}}
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = 0
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
{nonroot}'''
        self.conf = os.path.join(d, 'dovecot.conf')
        with open(self.conf, 'w') as f:
            f.write(conf)
        for sub in ('run', 'state', 'mail', 'home'):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        os.chmod(d, 0o755)
        if os.geteuid() == 0:
            for sub in ('mail', 'home'):
                os.chown(os.path.join(d, sub), uid, gid)

    def _wait(self, port, greeting=True):
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('dovecot exited: ' + self.log())
            try:
                with socket.create_connection(('127.0.0.1', port), timeout=1) as s:
                    if not greeting or s.recv(100).startswith(b'* OK'):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('dovecot did not answer: ' + self.log())

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix='mm-dovecot-')
        try:
            self._cert()
            self._conf()
            self.proc = subprocess.Popen([need('dovecot'), '-F', '-c', self.conf],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                         start_new_session=True)
            self._wait(self.imap_port)
            self._wait(self.imaps_port, greeting=False)
            for m in self.messages:
                self.append(m)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        if self.dir and not os.environ.get('MM_KEEP_DOVECOT'):
            shutil.rmtree(self.dir, ignore_errors=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()

    def log(self, tail=4000):
        try:
            with open(os.path.join(self.dir, 'dovecot.log'), errors='replace') as f:
                text = f.read()
                return text[-tail:] if tail else text
        except OSError:
            return '(no log)'

    # ---- the mailbox, through imaplib ----
    def client(self):
        ctx = ssl.create_default_context(cafile=self.cafile)
        c = imaplib.IMAP4_SSL('127.0.0.1', self.imaps_port, ssl_context=ctx)
        c.login(self.user, self.password)
        return c

    def append(self, raw, folder='INBOX'):
        c = self.client()
        try:
            typ, data = c.append(folder, None, None, raw)
            if typ != 'OK':
                raise RuntimeError(f'APPEND: {data}')
        finally:
            c.logout()

    def maildir_fill(self, messages, folder):
        """Write many messages straight into folder's Maildir (new/): much
        faster than APPEND; Dovecot gives them UIDs when it next looks."""
        uid, gid = self._owner()
        base = os.path.join(self.dir, 'mail', self.user, folder)
        for sub in ('cur', 'new', 'tmp'):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        for i, raw in enumerate(messages):
            path = os.path.join(base, 'new', f'{1700000000 + i}.M{i}P{os.getpid()}.mmtest')
            with open(path, 'wb') as f:
                f.write(raw.replace(b'\r\n', b'\n'))
        if os.geteuid() == 0:
            for root, dirs, files in os.walk(os.path.join(self.dir, 'mail')):
                for name in dirs + files:
                    os.chown(os.path.join(root, name), uid, gid)
            os.chown(os.path.join(self.dir, 'mail'), uid, gid)

    def uids(self, folder='INBOX'):
        """UID -> (flags, size) of every message in folder ({} if it does not exist)."""
        c = self.client()
        try:
            typ, _ = c.select(f'"{folder}"', readonly=True)
            if typ != 'OK':
                return {}
            typ, data = c.uid('FETCH', '1:*', '(UID FLAGS RFC822.SIZE)')
            out = {}
            for item in data:
                if not item:
                    continue
                s = item.decode() if isinstance(item, bytes) else item[0].decode()
                parts = imaplib.ParseFlags(s.encode())
                uid = int(s.split('UID ')[1].split()[0].rstrip(')'))
                size = int(s.split('RFC822.SIZE ')[1].split()[0].rstrip(')'))
                out[uid] = ({p.decode() for p in parts}, size)
            return out
        finally:
            c.logout()


if __name__ == '__main__':
    with Dovecot(messages=[b'From: a@b\r\nSubject: t\r\n\r\nhello\r\n']) as d:
        print('imap', d.imap_port, 'imaps', d.imaps_port, 'dir', d.dir)
        print(d.uids())
        print(d.log()[-500:])
