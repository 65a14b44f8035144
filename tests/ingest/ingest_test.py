#!/usr/bin/env python3
"""`mailmedic log ingest` end to end, on SQLite and on PostgreSQL.

Usage: ingest_test.py CASE BACKEND MAILMEDIC SRCDIR
  CASE     idempotence | badinput | durability | concurrency | dbdown | dberrors | mtazone |
           locked_long | mtalog
  BACKEND  sqlite | pg   (pg: a private server from tests/pg/pgserver.py on loopback)

Every case compares what is stored with a clean one-shot ingest of the same
input into a separate database: the same event keys (so nothing lost and
nothing twice; the key is the table's primary key) and the same address
state (the retry policy saw the same events in the same order).  Failures
print "got X, want Y".
"""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

CASE, BACKEND, MM, SRC = sys.argv[1:5]
sys.path.insert(0, os.path.join(SRC, "tests", "pg"))
sys.path.insert(0, os.path.join(SRC, "bench"))
SHARED = os.path.join(SRC, "..", "shared", "corpus", "bounces")
TMP = tempfile.mkdtemp(prefix="mm-ingest-")
FAILS = []


def check(cond, what, got, want):
    if not cond:
        FAILS.append("%s: got %r, want %r" % (what, got, want))
        print("FAIL %s: got %r, want %r" % (what, got, want), flush=True)
    return cond


# ---- backends --------------------------------------------------------------

class SqliteBackend:
    name = "sqlite"

    def __init__(self):
        self.n = 0

    def new_db(self):
        self.n += 1
        return os.path.join(TMP, "db%d.sqlite" % self.n)

    def query(self, db, sql):
        con = sqlite3.connect(db, timeout=60)
        try:
            return [tuple(r) for r in con.execute(sql).fetchall()]
        finally:
            con.close()

    def close(self):
        pass


class PgBackend:
    name = "pg"

    def __init__(self):
        try:
            import pgserver
        except ImportError:
            sys.exit("tests/pg/pgserver.py is missing (merge the pg branch)")
        try:
            self.pg = pgserver.PgServer().setup()
        except pgserver.PgMissing as e:
            sys.exit("PostgreSQL test server: %s" % e)

    def new_db(self):
        return self.pg.create_database()

    def query(self, db, sql):
        out = self.pg.sql(sql, db=db.rsplit("/", 1)[1])
        return [tuple(line.split("|")) for line in out.splitlines() if line]

    def close(self):
        self.pg.cleanup()


# ---- running the program ---------------------------------------------------

def ingest(db, args, stdin=None, check_rc=None):
    r = subprocess.run([MM, "log", "--db", db, "ingest", "--format", "json"] + args,
                       input=stdin, capture_output=True, timeout=600)
    if check_rc is not None and r.returncode != check_rc:
        print(r.stderr.decode(errors="replace")[-3000:])
    return r


def counters(r):
    import json
    lines = [l for l in r.stdout.decode().splitlines() if l.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def state(be, db):
    keys = be.query(db, "SELECT key FROM events ORDER BY key")
    addrs = be.query(db, "SELECT address, state, why, hard_count, soft_count, last_reason "
                         "FROM addresses ORDER BY address")
    norm = [tuple(str(x) for x in a) for a in addrs]
    return [k[0] for k in keys], norm


def same_state(be, db, ref, what):
    keys, addrs = state(be, db)
    rkeys, raddrs = ref
    check(len(keys) == len(set(keys)), what + ": duplicate keys", len(keys), len(set(keys)))
    check(keys == rkeys, what + ": event keys (count)", len(keys), len(rkeys))
    check(addrs == raddrs, what + ": address rows (count)", len(addrs), len(raddrs))
    if addrs != raddrs:
        diff = [a for a in addrs if a not in raddrs][:3]
        print("  first differing address rows:", diff, [a for a in raddrs if a not in addrs][:3])


# ---- inputs ----------------------------------------------------------------

def corpus_files():
    out = []
    for d in [os.path.join(SRC, "examples", "bounces"), os.path.join(SRC, "tests", "fixtures")]:
        for root, _, names in os.walk(d):
            out += [os.path.join(root, n) for n in sorted(names) if n.endswith(".eml")]
    for sub in ["dev", "unlabelled-2008", "not-bounces"]:
        d = os.path.join(SHARED, sub)
        if os.path.isdir(d):
            out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
    return sorted(out)


def big_mbox(n):
    """n distinct bounces in one mbox (bench/mklogcorpus.py's variants)."""
    import mklogcorpus
    path = os.path.join(TMP, "big.mbox")
    seeds = [open(f, "rb").read() for f in corpus_files()]
    with open(path, "wb") as f:
        for i in range(n):
            f.write(mklogcorpus.mbox_entry(mklogcorpus.variant(seeds[i % len(seeds)],
                                                               i // len(seeds))))
    return path


# ---- cases -----------------------------------------------------------------

def case_idempotence(be):
    files = corpus_files()
    listing = os.path.join(TMP, "corpus")
    os.makedirs(listing)
    for i, f in enumerate(files):  # one directory: mm_input walks it
        os.symlink(f, os.path.join(listing, "%05d.eml" % i))
    db = be.new_db()
    r1 = ingest(db, [listing])
    c1 = counters(r1)
    check(r1.returncode in (0, 1), "first run exit", r1.returncode, "0 or 1")
    check(c1.get("events_added", 0) > 100, "events stored", c1.get("events_added"), "> 100")
    s1 = state(be, db)
    r2 = ingest(db, [listing])
    c2 = counters(r2)
    check(c2.get("events_added") == 0, "second run new events", c2.get("events_added"), 0)
    check(c2.get("duplicates") == c1.get("events"), "second run duplicates",
          c2.get("duplicates"), c1.get("events"))
    same_state(be, db, s1, "after the second run")
    # --jobs 2 over the same input: the same keys, nothing new
    r3 = ingest(db, ["--jobs", "2", listing])
    check(counters(r3).get("events_added") == 0, "--jobs 2 rerun new events",
          counters(r3).get("events_added"), 0)
    db2 = be.new_db()
    ingest(db2, ["--jobs", "2", listing])
    same_state(be, db2, s1, "--jobs 2 into a fresh database")
    # the same bounce from a file (LF) and from stdin with CRLF: stored once
    bounce = os.path.join(SRC, "examples", "bounces", "01-postfix-user-unknown.eml")
    data = open(bounce, "rb").read()
    db3 = be.new_db()
    a = counters(ingest(db3, [bounce]))
    crlf = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    b = counters(ingest(db3, ["-"], stdin=crlf))
    check(a.get("events_added", 0) >= 1, "file: new events", a.get("events_added"), ">= 1")
    check(b.get("events_added") == 0 and b.get("duplicates") == a.get("events"),
          "stdin CRLF copy: new/duplicates", (b.get("events_added"), b.get("duplicates")),
          (0, a.get("events")))
    n = be.query(db3, "SELECT count(*) FROM events")[0][0]
    check(int(n) == a.get("events_added"), "rows after file + stdin", n, a.get("events_added"))


def case_badinput(be):
    d = os.path.join(TMP, "bad")
    os.makedirs(d)
    good = os.path.join(SRC, "examples", "bounces", "02-mailbox-full.eml")
    data = open(good, "rb").read()
    files = {"a-empty.eml": b"", "b-binary.eml": b"\x00\x01\x02PK\x03\x04" * 200,
             "c-truncated.eml": data[:40], "d-good.eml": data}
    for name, content in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(content)
    db = be.new_db()
    r = ingest(db, [d, os.path.join(TMP, "no-such-file.eml")])
    c = counters(r)
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 1, "exit status with bad inputs", r.returncode, 1)
    check(c.get("events_added", 0) >= 1, "the good bounce stored", c.get("events_added"), ">= 1")
    check(c.get("errors", 0) >= 2, "unreadable messages counted", c.get("errors"), ">= 2")
    for name in ["a-empty.eml", "b-binary.eml", "no-such-file.eml"]:
        check(name in err, "stderr names " + name, err[-400:], name)


def stored(be, db):
    try:
        return int(be.query(db, "SELECT count(*) FROM events")[0][0])
    except Exception:  # killed before the schema was there
        return 0


def durable_run(be, mbox, ref_db, extra, kills, label):
    """kills runs killed with SIGKILL at random points, then one run to the
    end: the result must equal ref_db, a clean one-shot ingest with the same
    batch size.  (The batch size must match: the retry policy applies a
    batch's events in time order, so an address whose bounces arrive out of
    date order can end up with another soft_count when the batches are cut
    elsewhere.  Restarted runs cut the input at the same places, because they
    re-read it from the start and batches count duplicates too.)

    Each killed run reads the mbox from a pipe that this test feeds only up
    to a cut point (growing from run to run, at random), and never closes:
    so no run can reach the end before its kill, however fast the ingest or
    slow the machine.  The first runs die within milliseconds (creating the
    schema, the first batch); the others once the log has grown past what
    the previous run left, plus a random 0-10 ms, so each run dies in the
    middle of new work (in a transaction, between two, while diagnosing) or,
    at the latest, waiting for input with a batch half read."""
    ref = state(be, ref_db)
    total = len(ref[0])
    data = open(mbox, "rb").read()
    db = be.new_db()
    rng = random.Random(5)
    seen = []
    for i in range(kills):
        p = subprocess.Popen([MM, "log", "--db", db, "ingest"] + extra + ["-"],
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        cut = int(len(data) * min(1.0, (i + rng.uniform(0.3, 1.0)) / kills))
        feeder = threading.Thread(target=feed, args=(p.stdin, data[:cut]), daemon=True)
        feeder.start()
        if i < 3:
            time.sleep(0.003 * i)
        else:
            have = seen[-1]
            deadline = time.time() + 60
            while stored(be, db) <= have and time.time() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.01))
        check(p.poll() is None, label + ": run %d still running at its kill" % (i + 1),
              p.returncode, None)
        p.send_signal(signal.SIGKILL)
        p.wait()
        feeder.join()
        seen.append(stored(be, db))
    partial = sorted(set(n for n in seen if 0 < n < total))
    print("%s: events stored after each kill: %s (of %d)" % (label, seen, total), flush=True)
    check(len(partial) >= kills // 2, label + ": kills left partial logs at many points",
          len(partial), ">= %d" % (kills // 2))
    r = ingest(db, extra + [mbox], check_rc=0)
    check(r.returncode == 0, label + ": final run exit", r.returncode, 0)
    print("%s: the final run stored the last %d events" % (label, counters(r).get("events_added", -1)))
    same_state(be, db, ref, label)


def feed(pipe, chunk):
    """Write chunk to a killed run's standard input, and leave it open."""
    try:
        pipe.write(chunk)
        pipe.flush()
    except (BrokenPipeError, OSError):
        pass  # killed while writing


def case_durability(be):
    mbox = big_mbox(6000)
    ref_db = be.new_db()
    ingest(ref_db, ["--batch", "20", mbox], check_rc=0)
    n = len(state(be, ref_db)[0])
    check(n > 10000, "clean run events", n, "> 10000")
    durable_run(be, mbox, ref_db, ["--batch", "20"], 20, "kill -9 x20")
    durable_run(be, mbox, ref_db, ["--batch", "20", "--jobs", "2"], 10, "kill -9 x10 --jobs 2")


def case_concurrency(be):
    mbox = big_mbox(2000)
    ref_db = be.new_db()
    ingest(ref_db, ["--batch", "100", mbox], check_rc=0)
    ref = state(be, ref_db)
    db = be.new_db()
    ingest(db, ["-"], stdin=b"")  # create the schema once, like a first `log` command
    procs = [subprocess.Popen([MM, "log", "--db", db, "ingest", "--batch", "100", "--format",
                               "json", mbox], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(4)]
    added = 0
    for p in procs:
        out, err = p.communicate(timeout=600)
        check(p.returncode == 0, "concurrent ingest exit", p.returncode, 0)
        if p.returncode:
            print(err.decode(errors="replace")[-2000:])
        import json
        added += json.loads(out.decode().splitlines()[-1]).get("events_added", 0)
    check(added == len(ref[0]), "events added by the 4 processes together", added, len(ref[0]))
    same_state(be, db, ref, "4 concurrent ingests")
    # ... also when each starts on an empty database at the same time
    db2 = be.new_db()
    procs = [subprocess.Popen([MM, "log", "--db", db2, "ingest", "--batch", "100", mbox],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        check(p.returncode == 0, "concurrent first ingest exit", p.returncode, 0)
        if p.returncode:
            print(err.decode(errors="replace")[-2000:])
    same_state(be, db2, ref, "4 concurrent ingests into a new database")


def case_dbdown(be):
    if be.name != "pg":
        return case_locked(be)
    mbox = big_mbox(3000)
    ref_db = be.new_db()
    t0 = time.time()
    ingest(ref_db, ["--batch", "50", mbox], check_rc=0)
    full = time.time() - t0
    ref = state(be, ref_db)
    db = be.new_db()
    p = subprocess.Popen([MM, "log", "--db", db, "ingest", "--batch", "50", mbox],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(full * 0.4)
    be.pg.stop()
    _, err = p.communicate(timeout=600)
    err = err.decode(errors="replace")
    check(p.returncode == 3, "exit when PostgreSQL goes away", p.returncode, 3)
    check("database error" in err and "again" in err, "a clear message", err[-500:],
          "database error ... run ... again")
    be.pg.start()
    partial = int(be.query(db, "SELECT count(*) FROM events")[0][0])
    print("stored before the server went away: %d of %d events" % (partial, len(ref[0])))
    check(0 < partial < len(ref[0]), "stopped mid-ingest", partial, "between 0 and all")
    r = ingest(db, ["--batch", "50", mbox], check_rc=0)
    check(r.returncode == 0, "re-run exit", r.returncode, 0)
    same_state(be, db, ref, "after the server came back")
    # the server is down from the start: exit 3, clear message
    be.pg.stop()
    r = ingest(db, [mbox])
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 3, "exit when PostgreSQL is down", r.returncode, 3)
    check("127.0.0.1" in err or "connect" in err, "message says where", err[-300:], "server")
    be.pg.start()


def case_locked(be):
    """SQLite: another writer holds the database for a while: we wait (busy time-out)."""
    mbox = big_mbox(300)
    db = be.new_db()
    ingest(db, ["-"], stdin=b"")
    con = sqlite3.connect(db, timeout=5, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    p = subprocess.Popen([MM, "log", "--db", db, "ingest", mbox], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    time.sleep(1.5)
    check(p.poll() is None, "ingest waits for the lock", p.poll(), None)
    con.execute("COMMIT")
    con.close()
    _, err = p.communicate(timeout=120)
    check(p.returncode == 0, "ingest after the lock was released", p.returncode, 0)


def case_locked_long(be):
    """SQLite: the lock is held past the busy time-out (30 s): exit 3, a clear
    message naming the file, nothing stored; the next run stores it all."""
    if be.name != "sqlite":
        return
    good = os.path.join(SRC, "examples", "bounces", "01-postfix-user-unknown.eml")
    db = be.new_db()
    ingest(db, ["-"], stdin=b"")
    con = sqlite3.connect(db, timeout=5, isolation_level=None)
    con.execute("BEGIN EXCLUSIVE")
    t0 = time.time()
    r = ingest(db, [good])
    waited = time.time() - t0
    con.execute("COMMIT")
    con.close()
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 3, "locked past the time-out: exit", r.returncode, 3)
    check(os.path.basename(db) in err and "lock" in err.lower(),
          "locked: the message names the file and the lock", err[-300:], "db... locked")
    check(waited >= 25, "waited for the busy time-out", round(waited, 1), ">= 25 s")
    check(int(be.query(db, "SELECT count(*) FROM events")[0][0]) == 0, "nothing stored", "", "")
    r = ingest(db, [good], check_rc=0)
    check(r.returncode == 0 and counters(r).get("events_added", 0) >= 1, "the next run stores it",
          r.returncode, 0)


def case_dberrors(be):
    good = os.path.join(SRC, "examples", "bounces", "01-postfix-user-unknown.eml")
    db = be.new_db()
    r = ingest(db, [good], check_rc=0)
    if be.name == "sqlite":
        be.query(db, "UPDATE meta SET value = '999' WHERE key = 'schema_version'")
        con = sqlite3.connect(db)
        con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
        con.commit()
        con.close()
    else:
        be.pg.sql("UPDATE meta SET value = '999' WHERE key = 'schema_version'",
                  db=db.rsplit("/", 1)[1])
    r = ingest(db, [good])
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 3, "newer schema: exit", r.returncode, 3)
    check("newer" in err, "newer schema: message", err[-300:], "... newer ...")
    if be.name != "sqlite":
        return
    bad = os.path.join(TMP, "corrupt.sqlite")
    with open(bad, "wb") as f:
        f.write(b"this is not an SQLite database at all\n" * 200)
    r = ingest(bad, [good])
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 3, "corrupt file: exit", r.returncode, 3)
    check("corrupt.sqlite" in err, "corrupt file: message names the file", err[-300:],
          "corrupt.sqlite")
    # a real database whose pages were overwritten in the middle
    db2 = be.new_db()
    ingest(db2, [os.path.join(SRC, "examples", "bounces")])
    size = os.path.getsize(db2)
    with open(db2, "r+b") as f:
        f.seek(4096)
        f.write(os.urandom(min(size - 4096, 16384)))
    r = ingest(db2, [good])
    err = r.stderr.decode(errors="replace")
    check(r.returncode == 3, "damaged file: exit", r.returncode, 3)
    check(os.path.basename(db2) in err, "damaged file: message names the file", err[-300:],
          os.path.basename(db2))


def case_mtalog(be):
    data = os.path.join(SRC, "tests", "ingest", "data")
    want = {}  # file -> (deliveries, bounced)
    for name in ["postfix.log", "exim.log"]:
        p = os.path.join(data, name)
        lines = open(p, encoding="utf-8", errors="replace").read().splitlines()
        if name == "postfix.log":
            dl = [l for l in lines if " status=" in l and "postfix/" in l]
            bounced = [l for l in dl if "status=bounced" in l or "status=expired" in l]
        else:
            dl = [l for l in lines if any(f in l for f in (" => ", " -> ", " == ", " ** "))]
            bounced = [l for l in dl if " ** " in l]
        want[name] = (len(dl), len(bounced))
    db = be.new_db()
    logs = []
    for name in want:
        copy = os.path.join(TMP, name)
        open(copy, "wb").write(open(os.path.join(data, name), "rb").read())
        logs += ["--mta-log", copy]
    r = ingest(db, logs, check_rc=0)
    c = counters(r)
    tot_d = sum(v[0] for v in want.values())
    tot_b = sum(v[1] for v in want.values())
    check(r.returncode == 0, "mta log exit", r.returncode, 0)
    check(c.get("deliveries_added") == tot_d, "deliveries stored", c.get("deliveries_added"), tot_d)
    check(c.get("events_added") == tot_b, "events for bounced lines", c.get("events_added"), tot_b)
    n = int(be.query(db, "SELECT count(*) FROM deliveries")[0][0])
    check(n == tot_d, "delivery rows", n, tot_d)
    ev = be.query(db, "SELECT address, reason, status FROM events ORDER BY address")
    check(all(e[1] not in ("", "undefined") for e in ev), "bounced lines classified", ev[:3],
          "reasons")
    # re-run: the cursor skips what was read; nothing is stored twice
    r2 = ingest(db, logs, check_rc=0)
    c2 = counters(r2)
    check(c2.get("deliveries_added") == 0 and c2.get("events_added") == 0, "re-run adds nothing",
          (c2.get("deliveries_added"), c2.get("events_added")), (0, 0))
    check(c2.get("lines") == 0, "re-run resumes at the end (cursor)", c2.get("lines"), 0)
    # the same lines on stdin (no cursor): all duplicates
    both = b"".join(open(os.path.join(data, n), "rb").read() for n in want)
    r3 = ingest(db, ["--mta-log", "-"], stdin=both)
    c3 = counters(r3)
    check(c3.get("deliveries_added") == 0 and c3.get("delivery_duplicates") == tot_d,
          "stdin copy: duplicates", (c3.get("deliveries_added"), c3.get("delivery_duplicates")),
          (0, tot_d))
    # appended lines: only they are read
    pf = os.path.join(TMP, "postfix.log")
    with open(pf, "ab") as f:
        f.write(b"Nov 30 02:10:00 mx postfix/smtp[999]: 4AB12C0FFEE: to=<new.one@example.net>, "
                b"relay=mx.example.net[192.0.2.9]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.1.1, "
                b"status=bounced (host mx.example.net[192.0.2.9] said: 550 5.1.1 "
                b"<new.one@example.net>: Recipient address rejected: User unknown "
                b"(in reply to RCPT TO command))\n")
    c4 = counters(ingest(db, logs, check_rc=0))
    check((c4.get("lines"), c4.get("deliveries_added"), c4.get("events_added")) == (1, 1, 1),
          "appended line: lines/deliveries/events", (c4.get("lines"),
          c4.get("deliveries_added"), c4.get("events_added")), (1, 1, 1))


def strq(be, db, sql):
    """Rows as tuples of strings: SQLite gives ints, psql text."""
    return [tuple(str(x) for x in row) for row in be.query(db, sql)]


def case_mtazone(be):
    """Log times without a zone: --mta-tz, the local zone by default; a later
    "sent" line ends the address's soft run."""
    import calendar
    db = be.new_db()
    log = os.path.join(TMP, "zone.log")
    # Exim's default main log: local time, no zone
    with open(log, "wb") as f:
        f.write(b"2026-11-30 08:00:00 1tQzzz-000AbC-1x => z1@example.org R=dnslookup "
                b"T=remote_smtp H=mx.example.org [192.0.2.1] C=\"250 OK\"\n")
    utc8 = calendar.timegm((2026, 11, 30, 0, 0, 0))
    r = ingest(db, ["--mta-log", log, "--mta-tz", "+0800"], check_rc=0)
    t = strq(be, db, "SELECT time FROM deliveries")
    check(r.returncode == 0 and t == [(str(utc8),)], "--mta-tz +0800", t, utc8)
    # the default is this machine's zone: TZ says it (a POSIX rule, no tzdata needed)
    db2 = be.new_db()
    env = dict(os.environ, TZ="CST-8")
    r = subprocess.run([MM, "log", "--db", db2, "ingest", "--format", "json", "--mta-log", log],
                       capture_output=True, env=env, timeout=120)
    t = strq(be, db2, "SELECT time FROM deliveries")
    check(r.returncode == 0 and t == [(str(utc8),)], "local zone from TZ", t, utc8)
    db3 = be.new_db()
    ingest(db3, ["--mta-log", log, "--mta-tz", "UTC"], check_rc=0)
    t = strq(be, db3, "SELECT time FROM deliveries")
    check(t == [(str(utc8 + 8 * 3600),)], "--mta-tz UTC", t, utc8 + 8 * 3600)
    for bad in ["+2500", "CET", "8", "+08:7"]:
        r = ingest(db3, ["--mta-log", log, "--mta-tz", bad])
        check(r.returncode == 2, "--mta-tz " + bad + " refused (exit 2)", r.returncode, 2)

    # a soft bounce (mailbox full), then mail to the same address goes through
    soft = os.path.join(TMP, "soft.log")
    with open(soft, "wb") as f:
        f.write(b"2026-11-30 09:00:00 1tQyyy-000AbC-1x ** full@example.org R=dnslookup "
                b"T=remote_smtp H=mx.example.org [192.0.2.1]: SMTP error from remote mail "
                b"server after RCPT TO:<full@example.org>: 452 4.2.2 Mailbox full\n")
    ingest(db, ["--mta-log", soft, "--mta-tz", "UTC"], check_rc=0)
    st = strq(be, db, "SELECT state, soft_count FROM addresses WHERE address='full@example.org'")
    check(st == [("soft", "1")], "soft bounce from the log", st, [("soft", "1")])
    sent = os.path.join(TMP, "sent.log")
    with open(sent, "wb") as f:
        f.write(b"2026-11-30 08:59:00 1tQxxx-000AbC-1x => full@example.org R=dnslookup "
                b"T=remote_smtp H=mx.example.org [192.0.2.1] C=\"250 OK\"\n")
    ingest(db, ["--mta-log", sent, "--mta-tz", "UTC"], check_rc=0)
    st = strq(be, db, "SELECT state, soft_count FROM addresses WHERE address='full@example.org'")
    check(st == [("soft", "1")], "an older delivery changes nothing", st, [("soft", "1")])
    with open(sent, "ab") as f:
        f.write(b"2026-11-30 15:00:00 1tQwww-000AbC-1x => full@example.org R=dnslookup "
                b"T=remote_smtp H=mx.example.org [192.0.2.1] C=\"250 OK\"\n")
    ingest(db, ["--mta-log", sent, "--mta-tz", "UTC"], check_rc=0)
    st = strq(be, db, "SELECT state, soft_count FROM addresses WHERE address='full@example.org'")
    check(st == [("active", "0")], "a later delivery ends the soft run", st, [("active", "0")])
    n = strq(be, db, "SELECT count(*) FROM addresses WHERE address LIKE 'z1@%'")
    check(n == [("0",)], "deliveries make no address rows", n, [("0",)])


def main():
    be = SqliteBackend() if BACKEND == "sqlite" else PgBackend()
    try:
        globals()["case_" + CASE](be)
    finally:
        be.close()
        subprocess.run(["rm", "-rf", TMP])
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
