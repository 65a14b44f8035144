#!/usr/bin/env python3
"""diagnose and log writing into a full, non-blocking pipe lose nothing.

A shell or a supervisor may hand mailmedic a non-blocking standard output.
When the pipe is full, write() says EAGAIN; stdio then drops what it holds
(it once lost the CSV header this way), so the results must be waited for.
The pipe is filled before mailmedic starts and read slowly; what arrives
must equal a normal run's output, byte for byte, in every format.

usage: nonblock.py MAILMEDIC FIXTURES_DIR
"""
import os
import subprocess
import sys
import time


def run_nonblocking(cmd):
    r, w = os.pipe()
    os.set_blocking(w, False)
    filler = 0
    try:
        while True:
            filler += os.write(w, b"P" * 4096)
    except BlockingIOError:
        pass
    p = subprocess.Popen(cmd, stdout=w, stderr=subprocess.PIPE)
    os.close(w)
    data = bytearray()
    reads = 0
    while True:
        b = os.read(r, 65536 if reads > 20 else 512)
        if not b:
            break
        data += b
        reads += 1
        if reads < 30:
            time.sleep(0.01)
    os.close(r)
    err = p.stderr.read()
    p.wait()
    return p.returncode, bytes(data[filler:]), err


def main():
    mm, fixtures = sys.argv[1], sys.argv[2]
    src = os.path.join(fixtures, "bounces")
    failed = 0
    for fmt in ("csv", "json", "text"):
        for jobs in ("1", "2"):
            cmd = [mm, "diagnose", "-f", fmt, "--jobs", jobs, "--lang", "en", src]
            want = subprocess.run(cmd, capture_output=True)
            rc, got, err = run_nonblocking(cmd)
            ok = rc == want.returncode and got == want.stdout and err == want.stderr
            print(f"{'ok' if ok else 'FAIL'} {fmt} --jobs {jobs}: {len(got)} of "
                  f"{len(want.stdout)} bytes, rc {rc} (want {want.returncode})")
            failed += not ok
    text = [mm, "diagnose", "--text", "550 5.1.1 User unknown", "-f", "csv"]
    want = subprocess.run(text, capture_output=True)
    rc, got, _ = run_nonblocking(text)
    ok = got == want.stdout and rc == want.returncode
    print(f"{'ok' if ok else 'FAIL'} --text -f csv: {len(got)} of {len(want.stdout)} bytes")
    failed += not ok
    failed += log_list(mm)
    sys.exit(1 if failed else 0)


def log_list(mm):
    """The log commands write through the same waiting writer: a suppression
    list long enough to fill the pipe several times comes out whole."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "log.sqlite")
        lst = os.path.join(tmp, "list.txt")
        with open(lst, "w") as f:
            for i in range(3000):
                f.write(f"user{i}@example.com\n")
        subprocess.run([mm, "log", "--db", db, "import-suppressions", lst],
                       check=True, capture_output=True)
        cmd = [mm, "--lang", "en", "log", "--db", db, "list"]
        want = subprocess.run(cmd, capture_output=True)
        rc, got, err = run_nonblocking(cmd)
        ok = rc == want.returncode == 0 and got == want.stdout and len(got) > 65536
        print(f"{'ok' if ok else 'FAIL'} log list: {len(got)} of {len(want.stdout)} bytes, "
              f"rc {rc} (want {want.returncode}) {err.decode(errors='replace').strip()[:120]}")
        return not ok


if __name__ == "__main__":
    main()
