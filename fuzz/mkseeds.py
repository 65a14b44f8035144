#!/usr/bin/env python3
"""Write the synthetic seed corpora fuzz/<target>.in/ (small, hand-made
messages; nothing copied from real mail).  Run from anywhere; re-running
rewrites the seeds but leaves files the fuzzer added (named by hash) alone.
"""
import base64
import os

HERE = os.path.dirname(os.path.abspath(__file__))

DSN = b"""From: MAILER-DAEMON@mx.example.net
To: s@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

<u@example.com>: host mx.example.com[192.0.2.1] said: 550 5.1.1 User unknown

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; u@example.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.com
Diagnostic-Code: smtp; 550 5.1.1 <u@example.com>: Recipient address rejected

--B
Content-Type: message/rfc822

From: s@example.org
To: u@example.com
Subject: =?UTF-8?B?5L2g5aW9?=
Message-ID: <1@example.org>

hello
--B--
"""

TEXT_BOUNCE = b"""From: postmaster@example.com
To: s@example.org
Subject: failure notice
X-Failed-Recipients: v@example.com

Hi. This is the qmail-send program at example.com.
I'm afraid I wasn't able to deliver your message to the following addresses.

<v@example.com>:
192.0.2.2 does not like recipient.
Remote host said: 552 5.2.2 Mailbox full, quota exceeded
"""

ARF = b"""From: fbl@example.net
To: abuse@example.org
Subject: complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.
--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: fbl/1.0
Version: 1
Original-Rcpt-To: w@example.net

--F
Content-Type: text/rfc822-headers

From: s@example.org
Subject: offer
--F--
"""

AUTOREPLY = b"""From: x@example.com
To: s@example.org
Subject: Out of office
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=gb18030
Content-Transfer-Encoding: base64

""" + base64.encodebytes("我正在休假，不在办公室。".encode("gb18030"))

QP_CRLF = (b"From: MAILER-DAEMON@example.cn\r\nSubject: =?gbk?B?zcvQxQ==?=\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"550 5.7.1 =E6=82=A8=E7=9A=84=E9=82=AE=E4=BB=B6=E8=A2=AB=E6=8B=92=E6=94=B6 =\r\nrejected\r\n")


def nested(depth):
    out = b"From: a@b\nContent-Type: multipart/mixed; boundary=\"n0\"\n\n--n0\n"
    for i in range(1, depth):
        out += b"Content-Type: multipart/mixed; boundary=\"n%d\"\n\n--n%d\n" % (i, i)
    out += b"Content-Type: message/rfc822\n\nFrom: c@d\nContent-Type: message/rfc822\n\nFrom: e@f\n\n550 no\n"
    for i in reversed(range(depth)):
        out += b"--n%d--\n" % i
    return out


# ISO-2022-JP parts: the shape message.c reads itself (ASCII and JIS X 0208,
# a control byte in the two-byte set) and ones it leaves to iconv (JIS X 0201
# Roman, an unknown escape, half a pair, an 8-bit byte).
ISO2022JP = (b"From: MAILER-DAEMON@example.jp\nMIME-Version: 1.0\n"
             b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"J\"\n\n"
             b"--J\nContent-Type: text/plain; charset=ISO-2022-JP\n\n"
             b"\x1b$B08@h$,8+$D$+$j$^$;$s\x1b(B <u@example.jp>\n\x1b$@$3\t$s\x1b(B 550 5.1.1\n"
             b"--J\nContent-Type: text/plain; charset=iso-2022-jp\n\n"
             b"\x1b(J\\~\x1b(B \x1b$(D!!\x1b(B \x1b$B$3\n--J\n"
             b"Content-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B$3\xa4\x1b(B\n--J--\n")

# Encoded words of the shapes message.c decodes without GMime (UTF-8 B/Q,
# US-ASCII, ISO-8859-15, ISO-2022-JP), and near misses it leaves to GMime.
ENCODED_WORDS = (b"From: =?utf-8?B?5Lit5paH?= =?UTF-8?q?caf=C3=A9_x?= <a@b>\n"
                 b"Subject: =?us-ascii?Q?Returned_mail?= =?iso-8859-15?Q?=28Failure=29?=\n"
                 b" =?utf-8?B?8J2E?= =?utf-8?Q?=9E?= =?utf-8?B?w6k=?= =?utf-8?B?w6k=?=\n"
                 b"X-Failed-Recipients: =?iso-2022-jp?B?GyRCJUslYyE8JXMbKEI=?= =?iso-2022-jp?B?GyRC?=\n"
                 b" =?iso-2022-jp?B?JUsbKEI=?= =?utf-8?Q?=ED=A0=80?= =?utf-8?B?YQ?= x=?utf-8?Q?a?=\n"
                 b"Content-Type: text/plain\n\n550 5.1.1 <u@example.com> unknown\n")

MESSAGES = {
    "dsn.eml": DSN,
    "dsn-crlf.eml": DSN.replace(b"\n", b"\r\n"),
    "dsn-cr.eml": DSN.replace(b"\n", b"\r"),
    "qmail.eml": TEXT_BOUNCE,
    "arf.eml": ARF,
    "autoreply-gb18030.eml": AUTOREPLY,
    "qp-crlf.eml": QP_CRLF,
    "nested-40.eml": nested(40),
    "no-boundary.eml": b"From: a@b\nContent-Type: multipart/report\n\n--x\n\n550 5.1.1 x\n",
    "trunc-header.eml": b"From: a@b\nSubject: \xe4\xbd",
    "iso-2022-jp.eml": ISO2022JP,
    "encoded-words.eml": ENCODED_WORDS,
    "long-field.eml": b"From: a@b\nSubject: " + b"y" * 3000 + b"\n folded\n\nbody\n",
    # Plain header runs (the sanitiser's vector scan): fields that begin with
    # C/M but are not MIME fields, folded lines, a block past 1,000 fields and
    # a field past 64 KiB inside a run, a part header block of plain fields.
    "header-runs.eml": b"Received: from a\n\tby b\nMessage-ID: <m@x>\nCC: c@d\ncomments: x\n"
    b"MIME-Version: 1.0\nmime-versio: no\nContent-Type: multipart/report; boundary=B\n"
    + b"".join(b"X-F%d: v\n  more\n" % i for i in range(1100))
    + b"X-Long: " + b"z" * 70000 + b"\nSubject: s\n\n--B\nX-P: 1\nCc: 2\n"
    b"Content-Type: text/plain\n\n550 5.1.1 unknown\n--B--\n",
    # A plain header run that ends with the input (no blank line after it).
    "header-run-at-end.eml": b"From: a@b\nX-A: 1\n",
    # Content-Type values ending in ';' (read by the fast path itself), one
    # it gives up on after cutting its copy (an encoded name: GMime reads the
    # value as written), and quoted-printable runs longer than 16 bytes.
    "ctype-semicolons.eml": b"From: a@b\nMIME-Version: 1.0\n"
    b"Content-Type: multipart/report; report-type=delivery-status;\n boundary=\"S\";\n\n--S\n"
    b"Content-Type: text/plain; charset=\"utf-8\";\nContent-Transfer-Encoding: quoted-printable\n\n"
    b"The following address could not be reached: =E9=\nuser@example.com=3D 550 5.1.1 unknown=\n\n"
    b"--S\nContent-Type: text/plain; charset=iso-2022-jp; name=\"=?utf-8?B?YQ==?=\"\n\n"
    b"\x1b$B$3\x1b(B 550\n--S\nContent-Type: message/delivery-status;\n\n"
    b"Final-Recipient: rfc822; u@example.com\nAction: failed\nStatus: 5.1.1\n--S--\n",
}

TEXTS = {
    "smtp.txt": b"550 5.1.1 <u@example.com>: Recipient address rejected: User unknown",
    "tencent.txt": "550 Mailbox not found or access denied 邮箱不存在".encode(),
    "auth.txt": b"535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6",
    "log.txt": b"Nov 29 10:00:00 mx postfix/smtp[1]: 1A2B: to=<u@example.com>, status=bounced (host said: 452 4.2.2 Over quota)",
    "empty.txt": b"",
}


def mbox(msgs):
    out = b""
    for m in msgs:
        out += b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n" + m.replace(b"\nFrom ", b"\n>From ") + b"\n"
    return out


MBOXES = {
    "two.mbox": mbox([DSN, TEXT_BOUNCE]),
    "escaped.mbox": mbox([b"From: a@b\n\n>From quoted\n>>From twice\nFrom not a separator\n"]),
    "no-blank.mbox": b"From x\nFrom: a@b\n\nbody\nFrom y\nFrom: c@d\n\n550\n",
    "single.eml": TEXT_BOUNCE,
}


def write(target, files):
    d = os.path.join(HERE, target + ".in")
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("fuzz_message", MESSAGES)
    write("fuzz_text", TEXTS)
    write("fuzz_input", MBOXES)
