#!/usr/bin/env python3
"""diagnose names every file of a directory right, whatever its name's length.

Each file's source name (and its JSON string) is kept in its batch's block of
names (src/cli/diagnose.c, set_source); a name that does not fit gets a block
of its own, and the next batch a larger block.  A directory of short names,
then of long names with characters JSON escapes (quote, backslash, tab, a
control byte, UTF-8), more files than a batch holds, read with one and two
jobs: every file's lines carry its own path, the two runs are identical, and
so is a run of each file alone.

usage: source_names.py MAILMEDIC FIXTURES_DIR
"""
import json
import os
import subprocess
import sys
import tempfile


def run(mm, *args):
    p = subprocess.run([mm, "diagnose", "-f", "json", "--all", *args],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit("exit %d for %s: %s" % (p.returncode, args, p.stderr.decode(errors="replace")))
    return p.stdout, p.stderr


def names(n_short, n_long):
    out = ["s%04d.eml" % i for i in range(n_short)]
    special = "q\"b\\t\tc\x01 \u00e9\u4e2d-"
    for i in range(n_long):
        stem = ("%04d-" % i) + special * 20
        # at most 255 bytes (NAME_MAX), of which some are 2 or 3 bytes in UTF-8
        while len((stem + ".eml").encode()) > 250:
            stem = stem[:-1]
        out.append(stem + ".eml")
    return out


def check_dir(mm, top, files, body):
    os.makedirs(top)
    for name in files:
        with open(os.path.join(top, name), "wb") as f:
            f.write(body)
    want = {os.path.join(top, name) for name in files}
    outs = []
    for jobs in ("1", "2"):
        out, err = run(mm, "--jobs", jobs, top)
        seen = set()
        for line in out.decode().splitlines():
            rec = json.loads(line)
            if rec["source"] not in want:
                sys.exit("jobs %s: unknown source %r" % (jobs, rec["source"]))
            seen.add(rec["source"])
        if seen != want:
            sys.exit("jobs %s: %d of %d files named" % (jobs, len(seen), len(want)))
        outs.append((out, err))
    if outs[0] != outs[1]:
        sys.exit("--jobs 1 and --jobs 2 differ for %s" % top)
    alone = b"".join(run(mm, os.path.join(top, name))[0] for name in sorted(files)[:40])
    firsts = [l for l in outs[0][0].splitlines(True)
              if json.loads(l)["source"] in {os.path.join(top, n) for n in sorted(files)[:40]}]
    if alone != b"".join(firsts):
        sys.exit("a file read alone gives other lines than in its directory (%s)" % top)


def main():
    mm, fixtures = sys.argv[1], sys.argv[2]
    with open(os.path.join(fixtures, "bounces", "amazonses-01.eml"), "rb") as f:
        body = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        check_dir(mm, os.path.join(tmp, "short"), names(600, 0), body)
        check_dir(mm, os.path.join(tmp, "long"), names(0, 700), body)
        check_dir(mm, os.path.join(tmp, "mixed"), names(300, 300), body)
    print("ok")


if __name__ == "__main__":
    main()
