#!/usr/bin/env python3
"""Build the `log ingest` benchmark corpus: the seed bounces replicated to N
messages in ONE mbox file (mboxrd), where every copy is a DISTINCT bounce, so
the idempotency keys do not collapse the copies into one event.

Copy k (k = 0, 1, ...) of a seed is the seed with, for k > 0:
  - every plain-text e-mail address whose local part is not a role account
    (MAILER-DAEMON, postmaster, ...) given the suffix ".bK" (a@b -> a.b7@b),
    so each copy's failed recipients are new addresses, as in a real
    mailing of 100,000 recipients;
  - every Message-ID value prefixed with "bK.";
  - a first header line "X-Mailmedic-Bench-Copy: K".
Addresses inside base64 parts are left as they are (the bytes still differ,
so the keys do too).  Copy 0 is the seed itself.

Usage: mklogcorpus.py OUTFILE N SEEDDIR...
Writes OUTFILE and OUTFILE.stamp (so a second run with the same arguments
does nothing).
"""
import os
import re
import sys

FROM_LINE = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
ESCAPE = re.compile(rb"^(>*From )", re.M)
ADDR = re.compile(rb"([A-Za-z0-9][A-Za-z0-9._%+=-]{0,63})@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
MSGID = re.compile(rb"^(Message-ID:[ \t]*<)", re.M | re.I)
ROLE = re.compile(rb"^(mailer-daemon|mail-daemon|postmaster|root|double-bounce|no-?reply|"
                  rb"abuse|bounces?|fbl|mdaemon|daemon|system|admin)$", re.I)


def seeds(dirs):
    out = []
    for d in dirs:
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.isfile(p) and not name.startswith("."):
                with open(p, "rb") as f:
                    out.append(f.read())
    return out


def variant(data, k):
    if k == 0:
        return data
    tag = b".b%d" % k
    # a header first, so even a copy without a plain-text address differs
    data = b"X-Mailmedic-Bench-Copy: %d\n" % k + data

    def addr(m):
        if ROLE.match(m.group(1)):
            return m.group(0)
        return m.group(1) + tag + b"@" + m.group(2)

    data = ADDR.sub(addr, data)
    return MSGID.sub(lambda m: m.group(1) + b"b%d." % k, data)


def mbox_entry(data):
    body = ESCAPE.sub(rb">\1", data)
    if not body.endswith(b"\n"):
        body += b"\n"
    return FROM_LINE + body + b"\n"


def main():
    out, n, dirs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    stamp = out + ".stamp"
    want = "%d %s v2\n" % (n, " ".join(dirs))
    if os.path.exists(stamp) and open(stamp).read() == want and os.path.exists(out):
        return
    msgs = seeds(dirs)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out + ".tmp", "wb") as mb:
        for i in range(n):
            mb.write(mbox_entry(variant(msgs[i % len(msgs)], i // len(msgs))))
    os.rename(out + ".tmp", out)
    with open(stamp, "w") as f:
        f.write(want)


if __name__ == "__main__":
    main()
