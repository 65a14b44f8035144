"""
fakesmtp.py - scripted misbehaving SMTP servers on 127.0.0.1, for the probe's
tests: the cases a real MTA will not produce on demand (silence, hang-ups,
oversized or inconsistent replies, a broken TLS handshake, no EHLO).

    with FakeSMTP("silent") as f:   # f.port; f.connections counts accepts
        ...

Modes:
  ok              a well-behaved server that accepts every recipient
  silent          accept and never say anything
  banner554       "554 5.7.1" greeting (the probe is refused)
  banner421       "421 4.3.2" greeting, then hang up (try the next MX)
  drop_after_ehlo greeting, then hang up on EHLO
  huge            a greeting line of 10 KB without a line end
  mismatch        an EHLO reply whose lines carry different codes
  helo_only       502 to EHLO, then accepts HELO and every RCPT; RCPT replies
                  are multi-line
  gmail_reject    Gmail-style three-line 550-5.1.1 reply to every RCPT
  tls_broken      offers STARTTLS, says 220, then sends junk instead of TLS;
                  every RCPT accepted (so the plain retry can be seen)
"""

import socket
import threading

JUNK = b"this is not a TLS handshake\r\n" * 4


class FakeSMTP:
    def __init__(self, mode, host="127.0.0.1", port=0):
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.commands = []
        self.stopping = False
        self.clients = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        try:
            # shutdown() wakes the thread blocked in accept(); close() alone
            # would leave the port listening until accept() returned.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass
        for c in self.clients:
            try:
                c.close()
            except OSError:
                pass
        return False

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self.clients.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            self._session(c, c.makefile("rb"))
        except OSError:
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    def _session(self, c, rf):
        m = self.mode
        if m == "silent":
            while c.recv(512):
                pass
            return
        if m == "banner554":
            c.sendall(b"554 5.7.1 mx.fake.test no SMTP service for you\r\n")
        elif m == "banner421":
            c.sendall(b"421 4.3.2 mx.fake.test busy, try later\r\n")
            return
        elif m == "huge":
            c.sendall(b"220 " + b"x" * 10000)
            while c.recv(512):
                pass
            return
        else:
            c.sendall(b"220 mx.fake.test ESMTP\r\n")
        tls_offered = m == "tls_broken"
        while True:
            line = rf.readline(4096)
            if not line:
                return
            self.commands.append(line.decode("utf-8", "replace").rstrip("\r\n"))
            verb = line.split(b" ", 1)[0].split(b":", 1)[0].upper().strip()
            if verb == b"QUIT":
                c.sendall(b"221 2.0.0 bye\r\n")
                return
            reply = self._reply(m, verb, tls_offered)
            if reply is None:
                return
            c.sendall(reply)
            if verb == b"STARTTLS" and m == "tls_broken":
                c.sendall(JUNK)
                return

    @staticmethod
    def _reply(m, verb, tls_offered):
        if verb == b"EHLO":
            if m == "drop_after_ehlo":
                return None
            if m == "mismatch":
                return b"250-mx.fake.test\r\n251 PIPELINING\r\n"
            if m == "helo_only":
                return b"502 5.5.2 Error: command not recognized\r\n"
            ext = b"250-STARTTLS\r\n" if tls_offered else b""
            return b"250-mx.fake.test\r\n" + ext + b"250 ENHANCEDSTATUSCODES\r\n"
        if verb == b"HELO":
            return b"250 mx.fake.test\r\n"
        if verb == b"STARTTLS":
            return b"220 2.0.0 Ready to start TLS\r\n"
        if verb == b"MAIL":
            return b"250 2.1.0 Ok\r\n"
        if verb == b"RCPT":
            if m == "gmail_reject":
                return (b"550-5.1.1 The email account that you tried to reach does not exist.\r\n"
                        b"550-5.1.1 Please try double-checking the recipient's email\r\n"
                        b"550 5.1.1 address for typos. x1-20020a17sor.1 - gsmtp\r\n")
            if m == "helo_only":
                return b"250-2.1.5 Recipient\r\n250 2.1.5 ok\r\n"
            return b"250 2.1.5 Ok\r\n"
        if verb == b"RSET":
            return b"250 2.0.0 Ok\r\n"
        return b"502 5.5.2 Error: command not recognized\r\n"
