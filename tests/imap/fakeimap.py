#!/usr/bin/env python3
"""A tiny plaintext IMAP server on loopback for what Dovecot will not do on
request: drop the connection in the middle of a FETCH, or lack MOVE.

    with FakeImap(messages, drop_uid=2) as f:   # f.port, f.commands
        ...

It greets, accepts LOGIN (any password but 'wrong'), answers CAPABILITY,
SELECT/EXAMINE, NOOP, FETCH (the UID/size list), UID FETCH BODY[], UID COPY,
UID STORE, UID EXPUNGE, CREATE and LOGOUT, and records each command (the
LOGIN line without its arguments).  With drop_uid it sends the start of
that message's literal and closes the socket."""
import re
import socket
import threading


class FakeImap:
    def __init__(self, messages, drop_uid=None, capabilities='IMAP4rev1 UIDPLUS'):
        self.messages = {i + 1: m for i, m in enumerate(messages)}
        self.drop_uid = drop_uid
        self.capabilities = capabilities
        self.commands = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.stopping = False

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        try:
            socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
        except OSError:
            pass
        self.thread.join(5)
        self.sock.close()

    def _serve(self):
        while not self.stopping:
            conn, _ = self.sock.accept()
            if self.stopping:
                conn.close()
                break
            try:
                self._session(conn)
            except OSError:
                pass
            finally:
                conn.close()

    def _session(self, conn):
        f = conn.makefile('rb')
        send = conn.sendall
        send(b'* OK [CAPABILITY ' + self.capabilities.encode() + b'] fake ready\r\n')
        while True:
            line = f.readline()
            if not line:
                return
            text = line.decode('utf-8', 'replace').rstrip('\r\n')
            tag, _, rest = text.partition(' ')
            verb = rest.split(' ')[0].upper()
            self.commands.append('LOGIN' if verb == 'LOGIN' else rest)
            if verb == 'CAPABILITY':
                send(f'* CAPABILITY {self.capabilities}\r\n{tag} OK done\r\n'.encode())
            elif verb == 'LOGIN':
                ok = 'wrong' not in rest
                send(f'{tag} {"OK" if ok else "NO [AUTHENTICATIONFAILED]"} login\r\n'.encode())
            elif verb in ('SELECT', 'EXAMINE'):
                send((f'* {len(self.messages)} EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n'
                      f'{tag} OK [READ-{"ONLY" if verb == "EXAMINE" else "WRITE"}] done\r\n').encode())
            elif verb in ('NOOP', 'CREATE', 'STORE'):
                send(f'{tag} OK done\r\n'.encode())
            elif verb == 'LOGOUT':
                send(f'* BYE bye\r\n{tag} OK done\r\n'.encode())
                return
            elif verb == 'FETCH':
                self._list(send, tag, rest)
            elif verb == 'UID':
                if not self._uid(send, tag, rest):
                    return
            else:
                send(f'{tag} BAD unknown\r\n'.encode())

    def _list(self, send, tag, rest):
        m = re.match(r'FETCH (\d+):(\d+) \(UID RFC822.SIZE\)', rest, re.I)
        if not m:
            send(f'{tag} BAD unknown FETCH\r\n'.encode())
            return
        for seq, (uid, msg) in enumerate(sorted(self.messages.items()), 1):
            if int(m.group(1)) <= seq <= int(m.group(2)):
                send(f'* {seq} FETCH (UID {uid} RFC822.SIZE {len(msg)})\r\n'.encode())
        send(f'{tag} OK done\r\n'.encode())

    def _uid(self, send, tag, rest):
        m = re.match(r'UID FETCH (\d+) BODY\[\]', rest, re.I)
        if m:
            uid = int(m.group(1))
            msg = self.messages[uid]
            send(f'* {uid} FETCH (UID {uid} BODY[] {{{len(msg)}}}\r\n'.encode())
            if uid == self.drop_uid:
                send(msg[:len(msg) // 3])
                return False  # the connection drops mid-literal
            send(msg + f')\r\n{tag} OK done\r\n'.encode())
            return True
        m = re.match(r'UID (COPY|STORE|EXPUNGE) (\d+)', rest, re.I)
        if m:
            uid = int(m.group(2))
            if m.group(1).upper() == 'EXPUNGE' and uid in self.messages:
                del self.messages[uid]
                send(f'* {uid} EXPUNGE\r\n'.encode())
            send(f'{tag} OK done\r\n'.encode())
            return True
        send(f'{tag} BAD unknown UID command\r\n'.encode())
        return True
