#!/usr/bin/env python3
"""Build the benchmark corpus: the seed messages replicated to N messages,
written once as ONE mbox file (mboxrd: body lines ">*From " get one more '>')
and once as ONE directory of .eml files, plus SUBSET-message slices of both
for the slow reference decoder.

Usage: mkcorpus.py OUTDIR N SUBSET SEEDDIR...
Writes OUTDIR/all.mbox, OUTDIR/all/, OUTDIR/subset.mbox, OUTDIR/subset/ and
OUTDIR/stamp (so a second run with the same arguments does nothing).
"""
import os
import re
import shutil
import sys

FROM_LINE = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n"
ESCAPE = re.compile(rb"^(>*From )", re.M)


def seeds(dirs):
    out = []
    for d in dirs:
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            if os.path.isfile(p) and not name.startswith("."):
                with open(p, "rb") as f:
                    out.append((name, f.read()))
    return out


def mbox_entry(data):
    body = ESCAPE.sub(rb">\1", data)
    if not body.endswith(b"\n"):
        body += b"\n"
    return FROM_LINE + body + b"\n"


def write(outdir, tag, msgs, n):
    d = os.path.join(outdir, tag)
    os.makedirs(d)
    entries = [mbox_entry(data) for _, data in msgs]
    with open(os.path.join(outdir, tag + ".mbox"), "wb") as mb:
        for i in range(n):
            name, data = msgs[i % len(msgs)]
            mb.write(entries[i % len(msgs)])
            with open(os.path.join(d, "%06d-%s" % (i, name)), "wb") as f:
                f.write(data)


def main():
    outdir, n, subset, dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    stamp = os.path.join(outdir, "stamp")
    want = "%d %d %s\n" % (n, subset, " ".join(dirs))
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    msgs = seeds(dirs)
    write(outdir, "all", msgs, n)
    write(outdir, "subset", msgs, subset)
    with open(stamp, "w") as f:
        f.write(want)


if __name__ == "__main__":
    main()
