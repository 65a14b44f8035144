#!/usr/bin/env python3
"""The IMAP module against a real Dovecot (tests/imap/dovecot.py) and a fake
server that misbehaves (tests/imap/fakeimap.py), through imap_tool.

usage: imap_test.py IMAP_TOOL SOURCE_ROOT

Checks: TLS (imaps and STARTTLS) with the self-signed certificate trusted
through cafile; without it, a certificate error (ECONN); a wrong password
(EAUTH); fetch from 0 returns every message in UID order, unseen flags
untouched; from the last UID only what was appended since; a changed
UIDVALIDITY restarts from 0; too-large messages skipped; move to a new
folder (also a Chinese name) and the COPY/STORE/EXPUNGE path without MOVE;
one login per session; a connection dropped mid-FETCH -> ECONN with only
complete messages handed over; imap:// without STARTTLS refused unless
allowed; the password never in any output."""
import glob
import os
import subprocess
import socket
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dovecot import Dovecot  # noqa: E402
from fakeimap import FakeImap  # noqa: E402

FAILURES = []
OUTPUTS = []


def check(cond, what, got=None, want=None):
    if not cond:
        msg = what if got is None else f'{what}: got {got!r}, want {want!r}'
        FAILURES.append(msg)
        print('FAIL', msg)
    else:
        print('ok  ', what)


class Tool:
    def __init__(self, path):
        self.path = path

    def run(self, url, *args, user='', password='', cafile=None, plain=False, maxsize=None,
            timeout=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith('MM_IMAP_')}
        env.update(MM_IMAP_USER=user, MM_IMAP_PASSWORD=password)
        if cafile:
            env['MM_IMAP_CAFILE'] = cafile
        if plain:
            env['MM_IMAP_PLAIN'] = '1'
        if maxsize:
            env['MM_IMAP_MAX'] = str(maxsize)
        if timeout:
            env['MM_IMAP_TIMEOUT'] = str(timeout)
        r = subprocess.run([self.path, url] + [str(a) for a in args], env=env,
                           capture_output=True, text=True, timeout=60)
        OUTPUTS.append((password, r.stdout + r.stderr))
        for bad in ('Sanitizer', 'runtime error:'):
            if bad in r.stderr:
                check(False, f'{args[0]}: sanitizer report', r.stderr[-2000:], 'none')
        out = {'status': None, 'why': '', 'messages': [], 'moved': [], 'changed': False,
               'uidvalidity': None, 'skipped': 0, 'raw': r.stdout + r.stderr}
        for line in r.stdout.splitlines():
            key, _, rest = line.partition(' ')
            if key == 'message':
                uid, size, subject = rest.split(' ', 2)
                out['messages'].append((int(uid), int(size), subject))
            elif key == 'moved':
                out['moved'].append(int(rest))
            elif key == 'changed':
                out['changed'] = True
            elif key in ('uidvalidity', 'skipped'):
                out[key] = int(rest)
            elif key in ('status', 'why'):
                out[key] = rest
        return out


def corpus(root):
    """Bounces from examples/bounces and tests/fixtures, and ordinary mail."""
    files = sorted(glob.glob(os.path.join(root, 'examples', 'bounces', '0[1-4]*.eml')))
    files += sorted(glob.glob(os.path.join(root, 'tests', 'fixtures', 'bounces', '*.eml')))[:3]
    msgs = [open(f, 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n') for f in files]
    msgs.append(b'From: Alice <alice@example.org>\r\nTo: bounces@example.net\r\n'
                b'Subject: ordinary mail, not a bounce\r\nMessage-ID: <o1@example.org>\r\n\r\n'
                b'Hello,\r\nthis is a normal message.\r\n')
    if len(msgs) < 5:
        raise SystemExit(f'too few fixture messages under {root}')
    return msgs


def dovecot_tests(tool, msgs):
    with Dovecot(messages=msgs) as d:
        imaps = f'imaps://127.0.0.1:{d.imaps_port}/INBOX'
        imap = f'imap://127.0.0.1:{d.imap_port}/INBOX'
        cred = dict(user=d.user, password=d.password)

        r = tool.run(imaps, 'open', cafile=d.cafile, **cred)
        check(r['status'] == 'OK', 'imaps with the self-signed cert as cafile', r['raw'], 'OK')
        uidv = r['uidvalidity']

        r = tool.run(imaps, 'open', **cred)
        check(r['status'] == 'ECONN' and 'certificate' in r['why'],
              'imaps without cafile: certificate error', (r['status'], r['why']), 'ECONN')

        r = tool.run(imaps, 'open', cafile=d.cafile, user=d.user, password='not-the-password')
        check(r['status'] == 'EAUTH', 'wrong password: EAUTH', (r['status'], r['why']), 'EAUTH')

        r = tool.run(imap, 'open', cafile=d.cafile, **cred)
        check(r['status'] == 'OK', 'imap:// upgraded with STARTTLS', r['raw'], 'OK')

        r = tool.run(f'imaps://127.0.0.1:{d.imaps_port}/NoSuchBox', 'open', cafile=d.cafile, **cred)
        check(r['status'] == 'ENOTFOUND', 'missing mailbox: ENOTFOUND', r['status'], 'ENOTFOUND')

        before = len(d.log(tail=None).split('Login: user=<'))
        r = tool.run(imaps, 'fetch', 0, uidv, cafile=d.cafile, **cred)
        uids = [m[0] for m in r['messages']]
        check(r['status'] == 'OK' and uids == list(range(1, len(msgs) + 1)),
              'fetch from 0: every message in UID order', uids, list(range(1, len(msgs) + 1)))
        want_sizes = [len(m) for m in msgs]
        check([m[1] for m in r['messages']] == want_sizes, 'fetched sizes are the stored sizes',
              [m[1] for m in r['messages']], want_sizes)
        check(all('no final newline' not in m[2] for m in r['messages']), 'messages complete')
        logins = 0
        for _ in range(30):  # Dovecot's log process writes a little later
            time.sleep(0.1)
            logins = len(d.log(tail=None).split('Login: user=<')) - before
            if logins:
                time.sleep(0.3)
                logins = len(d.log(tail=None).split('Login: user=<')) - before
                break
        check(logins == 1, 'one connection (one login) for the whole fetch', logins, 1)
        flags = d.uids()
        check(all('\\Seen' not in f for f, _ in flags.values()),
              'nothing marked \\Seen by the fetch', flags, 'no \\Seen')

        last = uids[-1] if uids else 0
        d.append(b'From: MAILER-DAEMON@example.net\r\nTo: bounces@example.net\r\n'
                 b'Subject: Undelivered Mail Returned to Sender (late)\r\n\r\n'
                 b'<late@example.com>: host said: 550 5.1.1 no such user\r\n')
        r = tool.run(imaps, 'fetch', last, uidv, cafile=d.cafile, **cred)
        got = [m[0] for m in r['messages']]
        check(r['status'] == 'OK' and got == [last + 1], 'fetch from the last UID: only the new one',
              got, [last + 1])

        r = tool.run(imaps, 'fetch', last + 1, uidv, cafile=d.cafile, **cred)
        check(r['status'] == 'OK' and r['messages'] == [], 'fetch past the last UID: nothing',
              r['messages'], [])

        big = (b'From: MAILER-DAEMON@example.net\r\nSubject: big bounce\r\n\r\n' +
               b''.join(b'%07d attached original message line\r\n' % i for i in range(80000)))
        d.append(big)
        r = tool.run(imaps, 'fetch', last + 1, uidv, cafile=d.cafile, **cred)
        check(r['status'] == 'OK' and [m[1] for m in r['messages']] == [len(big)],
              f'a {len(big) >> 20} MB message fetched whole', [m[1] for m in r['messages']],
              [len(big)])
        r = tool.run(imaps, 'move', last + 2, 'Big', cafile=d.cafile, **cred)
        check(r['status'] == 'OK', 'the big one moved out of the way', r['raw'], 'OK')

        r = tool.run(imaps, 'fetch', last, (uidv + 1) % 2**32 or 1, cafile=d.cafile, **cred)
        check(r['changed'] and len(r['messages']) == len(msgs) + 1,
              'UIDVALIDITY changed: restart from 0 and say so',
              (r['changed'], len(r['messages'])), (True, len(msgs) + 1))

        small = min(want_sizes)
        over = sum(1 for _, size in d.uids().values() if size > small)
        r = tool.run(imaps, 'fetch', 0, uidv, cafile=d.cafile, maxsize=small, **cred)
        check(r['skipped'] == over and all(m[1] <= small for m in r['messages']),
              'messages over max_message skipped', r['skipped'], over)

        many = [b'From: MAILER-DAEMON@example.net\r\nSubject: bounce %d\r\n\r\n'
                b'<u%d@example.com>: 550 5.1.1 unknown\r\n' % (i, i) for i in range(1, 1251)]
        d.maildir_fill(many, 'Many')
        r = tool.run(f'imaps://127.0.0.1:{d.imaps_port}/Many', 'fetch', 0, 0, cafile=d.cafile,
                     **cred)
        got = [m[0] for m in r['messages']]
        check(r['status'] == 'OK' and got == list(range(1, 1251)),
              '1,250 messages listed in chunks, all fetched in UID order',
              (r['status'], len(got), r['why']), ('OK', 1250))
        r = tool.run(f'imaps://127.0.0.1:{d.imaps_port}/Many', 'fetch', 1234, 0, cafile=d.cafile,
                     **cred)
        got = [m[0] for m in r['messages']]
        check(got == list(range(1235, 1251)), 'the tail of a large mailbox only', got,
              list(range(1235, 1251)))

        r = tool.run(imaps, 'move', 1, 'Processed', cafile=d.cafile, **cred)
        check(r['status'] == 'OK' and r['moved'] == [1], 'move to a new folder', r['raw'], 'moved 1')
        check(1 not in d.uids() and len(d.uids('Processed')) == 1,
              'message gone from INBOX, present in the folder',
              (sorted(d.uids()), d.uids('Processed')), 'INBOX without 1, Processed with one')

        r = tool.run(imaps, 'move', 1, 'Processed', cafile=d.cafile, **cred)
        check(r['status'] == 'ENOTFOUND', 'moving a UID that is gone: ENOTFOUND', r['status'],
              'ENOTFOUND')

        r = tool.run(imaps, 'move', 2, '退信/2026', cafile=d.cafile, **cred)
        check(r['status'] == 'OK' and len(d.uids('&kABP4Q-/2026')) == 1,
              'move to a Chinese folder name (modified UTF-7)', r['raw'], 'OK')

        cn = f'imaps://127.0.0.1:{d.imaps_port}/' + urllib.parse.quote('退信/2026')
        r = tool.run(cn, 'fetch', 0, 0, cafile=d.cafile, **cred)
        check(r['status'] == 'OK' and len(r['messages']) == 1,
              'fetch from a mailbox with a Chinese name', r['raw'], '1 message')

        r = tool.run(imaps, 'fetchmove', 0, 'Processed', cafile=d.cafile, **cred)
        check(r['status'] == 'OK' and len(r['moved']) == len(msgs) - 1,
              'fetch then move each on the same session', (r['status'], r['moved']),
              f'{len(msgs) - 1} moved')
        check(len(d.uids()) == 0, 'INBOX empty after moving everything', sorted(d.uids()), [])
        r = tool.run(imaps, 'fetch', 0, uidv, cafile=d.cafile, **cred)
        check(r['status'] == 'OK' and r['messages'] == [], 'fetch from an empty mailbox',
              (r['status'], r['messages']), ('OK', []))


def fake_tests(tool, msgs):
    with FakeImap(msgs[:3], drop_uid=2) as f:
        url = f'imap://127.0.0.1:{f.port}/INBOX'
        r = tool.run(url, 'fetch', 0, 0, user='u', password='secret-pw', plain=True)
        check(r['status'] == 'ECONN', 'connection dropped mid-FETCH: ECONN', r['raw'], 'ECONN')
        check([m[0] for m in r['messages']] == [1], 'the callback saw only the complete message',
              r['messages'], [1])
        check('UID 2' in r['why'], 'the error says where it stopped', r['why'], '... UID 2 ...')

        r = tool.run(url, 'open', user='u', password='secret-pw')
        check(r['status'] == 'ECONN' and 'STARTTLS' in r['why'],
              'imap:// without STARTTLS refused by default', (r['status'], r['why']), 'ECONN')

        r = tool.run(url, 'open', user='u', password='wrong', plain=True)
        check(r['status'] == 'EAUTH', 'LOGIN refused: EAUTH', r['status'], 'EAUTH')

    with socket.socket() as silent:  # accepts, never says a word
        silent.bind(('127.0.0.1', 0))
        silent.listen(1)
        url = f'imap://127.0.0.1:{silent.getsockname()[1]}/INBOX'
        t0 = time.time()
        r = tool.run(url, 'open', user='u', password='secret-pw', plain=True, timeout=2)
        took = time.time() - t0
        check(r['status'] == 'ECONN' and took < 15, 'a silent server: ECONN after the time-out',
              (r['status'], r['why'], round(took, 1)), 'ECONN within seconds')

    with FakeImap(msgs[:2]) as f:
        url = f'imap://127.0.0.1:{f.port}/INBOX'
        r = tool.run(url, 'move', 2, 'Processed', user='u', password='secret-pw', plain=True)
        seq = [c.split(' ')[1] for c in f.commands if c.upper().startswith('UID ')]
        check(r['status'] == 'OK' and seq == ['COPY', 'STORE', 'EXPUNGE'],
              'without MOVE: UID COPY, UID STORE, UID EXPUNGE', (r['status'], seq),
              ('OK', ['COPY', 'STORE', 'EXPUNGE']))


def main():
    tool, root = Tool(sys.argv[1]), sys.argv[2]
    msgs = corpus(root)
    fake_tests(tool, msgs)
    dovecot_tests(tool, msgs)
    for password, out in OUTPUTS:
        if password and password != 'wrong' and password in out:
            FAILURES.append('the password appeared in the output')
            break
    print(f'{len(FAILURES)} failure(s)')
    return 1 if FAILURES else 0


if __name__ == '__main__':
    sys.exit(main())
