#!/usr/bin/env python3
"""Write truly malformed mail inputs (plus a few good bounces) into a directory.

Usage: gen.py OUTDIR

Everything is generated (seeded, so runs are repeatable) at test time in the
build directory: some files are 50-100 MB and must never be committed.
Names tell run.py what to expect:
  good-*      valid bounces: must be reported on stdout whatever else fails
  fail-*      unusable inputs: must be named in a one-line error on stderr
  big-*       larger than the size limit: must give a "limit" warning
  anything else is malformed mail that must be survived (stdout or stderr).
"""
import base64
import os
import random
import sys

RNG = random.Random(20261129)

GOOD_DSN = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: sender@example.org
Subject: Undelivered Mail Returned to Sender
Date: Sun, 29 Nov 2026 10:00:00 +0000
Message-ID: <dsn-%d@mx.example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

--B0UND
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.net.
I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<nobody%d@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1
    <nobody%d@example.com>: Recipient address rejected: User unknown

--B0UND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; nobody%d@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <nobody%d@example.com>: User unknown

--B0UND
Content-Type: text/rfc822-headers

From: sender@example.org
To: nobody%d@example.com
Subject: hello

--B0UND--
"""

HEAD = (b"From: MAILER-DAEMON@mx.example.net\nTo: s@example.org\n"
        b"Subject: Delivery failure\nMIME-Version: 1.0\n")


def good(i):
    return GOOD_DSN.replace(b"%d", str(i).encode())


def multipart(parts, boundary=b"XX"):
    out = HEAD + b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\n\n'
    for p in parts:
        out += b"--" + boundary + b"\n" + p + b"\n"
    return out + b"--" + boundary + b"--\n"


def truncated():
    dsn = good(0)
    cut_boundary = dsn.index(b"--B0UND\nContent-Type: message/") + 4
    b64 = base64.encodebytes(bytes(RNG.randrange(256) for _ in range(3000)))
    att = multipart([b"Content-Type: text/plain\n\n550 5.1.1 user unknown\n",
                     b"Content-Type: application/octet-stream\n"
                     b"Content-Transfer-Encoding: base64\n\n" + b64])
    return {
        "trunc-mid-header.eml": dsn[:dsn.index(b"Subject:") + 5],
        "trunc-mid-boundary.eml": dsn[:cut_boundary],
        "trunc-mid-base64.eml": att[:att.index(b64) + len(b64) // 2 + 7],
    }


def broken_mime():
    bad = {}
    bad["mime-no-boundary.eml"] = (HEAD + b"Content-Type: multipart/report; report-type=delivery-status\n\n"
                                   b"--B\nContent-Type: text/plain\n\n550 no such user\n--B--\n")
    bad["mime-wrong-boundary.eml"] = multipart([b"Content-Type: text/plain\n\nhi\n"]).replace(
        b"--XX", b"--YY")
    bad["mime-bad-base64.eml"] = multipart([b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
                                            b"!!!!****====@@@@\nNTUwIDUuMS4xIHVzZXIgdW5rbm93bg=\n=\n%%%\n"])
    bad["mime-bad-qp.eml"] = multipart([b"Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
                                        b"550 =ZZ=4=\n=\n=0=\n=XY user =E4=B8 unknown=\n"])
    bad["mime-bad-charset.eml"] = multipart([
        b'Content-Type: text/plain; charset="x-no-such-charset"\n\n550 5.1.1 unknown\n',
        b"Content-Type: text/plain; charset=\x01\xff\n\n550 user\n",
        b'Content-Type: text/plain; charset="utf-8\n\n550 unterminated quote\n'])
    bad["mime-invalid-utf8.eml"] = multipart([
        b"Content-Type: text/plain; charset=utf-8\n\n550 \xc3\x28 \xa0\xa1 \xf0\x28\x8c\xbc \xed\xa0\x80 \xff\xfe\n"])
    bad["mime-invalid-gbk.eml"] = multipart([
        b"Content-Type: text/plain; charset=gbk\n\n550 \xc4\xfa\xb5\xc4 \x81\x20 \xff\xff \xfe\n"])
    bad["mime-bad-encoded-words.eml"] = (
        b"From: =?utf-8?B?!!!?= <a@b>\nSubject: =?x-bogus?Q?=ZZ?= =?gbk?B?xOM=?= =?utf-8?Q?\xff?=\n"
        b"Content-Type: text/plain; charset=\n\n550 user unknown\n")
    return bad


def nested_multipart(depth):
    parts = [HEAD]
    for i in range(depth):
        parts.append(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i))
    parts.append(b"Content-Type: text/plain\n\n550 5.1.1 deep\n")
    for i in reversed(range(depth)):
        parts.append(b"--b%d--\n" % i)
    return b"".join(parts)


def nested_rfc822(depth):
    parts = [HEAD]
    for _ in range(depth):
        parts.append(b"Content-Type: message/rfc822\n\nFrom: x@y\nSubject: inner\n")
    parts.append(b"Content-Type: text/plain\n\n550 5.1.1 deep\n")
    return b"".join(parts)


def write_big(path, head, chunk, total):
    """Stream a file of about total bytes: head, then chunk repeated."""
    with open(path, "wb") as f:
        f.write(head)
        written = len(head)
        while written < total:
            f.write(chunk)
            written += len(chunk)
        f.write(b"\n\n550 5.1.1 user unknown\n")


def broken_mbox():
    g = good(7).replace(b"\nFrom ", b"\n>From ")
    return (b"From MAILER-DAEMON Sun Nov 29 10:00:00 2026\n" + g +
            b"From \n" +                                   # From_ line with no sender
            b"From\n" +                                     # no space: body line, not a separator
            b"From \n\n" +                                  # empty message
            b"From x\n>>From nested quoting\nnot a header line\n" +
            b"From a Sun Nov 29 10:00:00 2026\nFrom: a@b\nSubject: no body and no newline")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    files = {"good-1.eml": good(1), "good-2.eml": good(2).replace(b"\n", b"\r\n")}
    files.update(truncated())
    files.update(broken_mime())
    files["fail-empty.eml"] = b""
    files["fail-binary-junk.bin"] = bytes(RNG.randrange(256) for _ in range(65536))
    files["fail-nul-bytes.eml"] = HEAD + b"\n550 user\x00\x00unknown\x00" + b"\x00" * 1000
    files["nested-multipart-1000.eml"] = nested_multipart(1000)
    files["nested-rfc822-1000.eml"] = nested_rfc822(1000)
    files["many-headers-100k.eml"] = HEAD + b"".join(
        b"X-Header-%d: value %d\n" % (i, i) for i in range(100000)) + b"\n550 5.1.1 user unknown\n"
    files["broken-from.mbox"] = broken_mbox()
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    write_big(os.path.join(out, "big-endless-header.eml"), b"From: a@b\nSubject: ",
              b"x" * (1 << 20), 50 << 20)
    write_big(os.path.join(out, "big-100mb.eml"),
              HEAD + b'Content-Type: multipart/mixed; boundary="Z"\n\n--Z\n'
              b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n",
              base64.encodebytes(bytes(range(256)) * 3072), 100 << 20)
    with open(os.path.join(out, "big-limit.mbox"), "wb") as f:
        for i in range(6):  # six bounces just over the 8 MiB limit: the worst case for memory
            f.write(b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n" + good(10 + i).replace(
                b"\n--B0UND--\n", b"\n--B0UND\nContent-Type: text/plain\n\n" +
                b"550 5.1.1 user unknown\n" * 400000 + b"--B0UND--\n") + b"\n")
    unread = os.path.join(out, "unreadable")
    os.makedirs(unread, exist_ok=True)
    secret = os.path.join(unread, "fail-secret.eml")
    with open(secret, "wb") as f:
        f.write(good(3))
    os.chmod(secret, 0)
    dangling = os.path.join(unread, "fail-dangling.eml")
    if not os.path.lexists(dangling):
        os.symlink("no-such-target.eml", dangling)
    with open(os.path.join(unread, "good-3.eml"), "wb") as f:
        f.write(good(3))


if __name__ == "__main__":
    main()
