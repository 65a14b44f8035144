#!/usr/bin/env python3
"""
errors.py - the PostgreSQL store when things go wrong, on a real server.

    errors.py PGPROBE

Starts a private PostgreSQL (pgserver.py) and, each in its own database:
  - the server down at open (stopped, and a port nobody listens on) -> MM_ECONN,
    the message names host:port/db and never the password;
  - the session terminated (pg_terminate_backend) and the server stopped in
    the middle of a batch (events inserted, the address rows waiting on a
    lock another session holds) -> MM_ECONN, nothing of the batch stored;
    after the restart the same batch is stored exactly once;
  - a store that lost its server works again once the server is back
    (the next transaction reconnects);
  - a database of schema version 99 -> MM_ESCHEMA, left untouched;
  - a wrong or missing password (SCRAM) -> MM_EAUTH, the right one works;
  - a role with SELECT only reads a current database, its writes fail with MM_EDB;
  - four processes opening one fresh database at once (the schema lock);
  - the writers' advisory lock held elsewhere past the busy time-out -> MM_EBUSY;
  - a statistics scan stopped early (the COPY is cancelled) leaves the store usable,
    gives the same rows as the event walk (also when it runs in two halves on a big
    table), and a check from inside an event walk's callback works;
  - bytes that are not UTF-8 are stored as U+FFFD instead of failing the batch.
Every failure prints "got X, want Y"; the exit status is the number of failures.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pgserver  # noqa: E402

MM_OK, MM_EINVAL, MM_EDB, MM_EBUSY, MM_ESCHEMA, MM_ECONN, MM_EAUTH = 0, 2, 11, 12, 13, 14, 15
WRITE_LOCK = "1835887719, 2"   # pg.c: the writers' advisory lock
N = 500   # events per batch

failures = []


def check(what, got, want):
    if got != want:
        failures.append(what)
        print("FAIL %s: got %r, want %r" % (what, got, want))
    else:
        print("ok   %s" % what)


def check_true(what, cond, detail):
    if not cond:
        failures.append(what)
        print("FAIL %s: %s" % (what, detail))
    else:
        print("ok   %s" % what)


def parse(out):
    kv = {}
    for line in out.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            kv[k] = v
    return kv


def probe(*args, timeout=60):
    r = subprocess.run([PGPROBE] + [str(a) for a in args], capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:   # pgprobe itself failed (a crash, a sanitizer report)
        failures.append("pgprobe " + str(args[0]))
        print("FAIL pgprobe %s exited %d: %s%s" % (" ".join(map(str, args)), r.returncode,
                                                    r.stdout, r.stderr))
    return parse(r.stdout)


def status(kv, op):
    return int(kv.get(op + ".status", "-1"))


class LockHolder:
    """A psql session holding EXCLUSIVE on addresses: reads pass, writes to it wait."""

    def __init__(self, pg, db):
        self.p = subprocess.Popen([os.path.join(pgserver.PGBIN, "psql"), "-X", "-q",
                                   "-h", pg.base, "-p", str(pg.port), "-U", pgserver.SUPERUSER,
                                   "-d", db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, env=pg._env())
        self.p.stdin.write("BEGIN;\nLOCK TABLE addresses IN EXCLUSIVE MODE;\n\\echo locked\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if "locked" not in line:
            raise RuntimeError("psql could not take the lock: %r" % line)

    def release(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("ROLLBACK;\n\\q\n")
                self.p.stdin.flush()
            except OSError:
                pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def wait_blocked(pg, db, timeout=30):
    """Until our store's session waits for the lock (its events are inserted by then)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        n = pg.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = '%s' AND "
                   "application_name = 'mailmedic' AND wait_event_type = 'Lock'" % db)
        if n == "1":
            return True
        time.sleep(0.05)
    return False


def test_down_at_open(pg):
    db = "down"
    pg.create_database(db)
    uri = pg.uri(db, user="postgres", password="s3cret-pw")
    pg.stop()
    try:
        kv = probe("open", uri)
    finally:
        pg.start()
    check("server down at open: status", status(kv, "open"), MM_ECONN)
    msg = kv.get("open.error", "")
    check_true("server down at open: message names host:port/db",
               "127.0.0.1:%d/%s" % (pg.port, db) in msg, msg)
    check_true("server down at open: message hides the password", "s3cret" not in msg, msg)
    kv = probe("open", "postgresql://postgres@127.0.0.1:%d/x" % pgserver.free_port())
    check("nothing listening: status", status(kv, "open"), MM_ECONN)
    kv = probe("open", "postgresql://user:%zz@127.0.0.1/x")
    check("not a URI libpq can parse: status", status(kv, "open"), MM_EINVAL)
    check_true("not a URI: the password is not echoed", "%zz" not in kv.get("open.error", "%zz"),
               kv.get("open.error"))


def interrupted_batch(pg, db, interrupt, name):
    """Start a batch, interrupt it while it waits on the lock, then store it for real."""
    uri = pg.create_database(db)
    check(name + ": schema made", status(probe("open", uri), "open"), MM_OK)
    lock = LockHolder(pg, db)
    p = subprocess.Popen([PGPROBE, "add", uri, "0", str(N)], stdout=subprocess.PIPE, text=True)
    try:
        blocked = wait_blocked(pg, db)
        check_true(name + ": the batch reached the address rows", blocked, "never blocked")
        interrupt(pg, db)
        out, _ = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        lock.release()
    kv = parse(out)
    check(name + ": pgprobe exit status", p.returncode, 0)
    check(name + ": status", status(kv, "add"), MM_ECONN)
    check_true(name + ": message names the server",
               "127.0.0.1:%d/%s" % (pg.port, db) in kv.get("add.error", ""), kv.get("add.error"))
    kv = probe("count", uri)
    check(name + ": nothing of the batch stored",
          (kv.get("events"), kv.get("addresses"), kv.get("cursor")), ("0", "0", ""))
    kv = probe("add", uri, 0, N)
    check(name + ": the batch again is stored", (status(kv, "add"), kv.get("add.added")),
          (MM_OK, str(N)))
    kv = probe("add", uri, 0, N)
    check(name + ": and a third time adds nothing", kv.get("add.added"), "0")
    kv = probe("count", uri)
    check(name + ": stored exactly once",
          (kv.get("events"), kv.get("addresses"), kv.get("cursor")),
          (str(N), str(N), "probe-%d" % (N - 1)))


def test_terminated(pg):
    def terminate(pg, db):
        check("terminated: one session killed",
              pg.terminate_backends(db, application_name="mailmedic"), 1)
    interrupted_batch(pg, db="killed", interrupt=terminate, name="session terminated mid-batch")


def test_server_stopped(pg):
    def stop_start(pg, db):
        pg.stop()
        pg.start()
    interrupted_batch(pg, db="stopped", interrupt=stop_start, name="server stopped mid-batch")


def test_reconnect(pg):
    uri = pg.create_database("again")
    p = subprocess.Popen([PGPROBE, "again", uri, "0", str(N)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        while True:
            line = p.stdout.readline()
            if not line or line.strip() == "waiting":
                break
        pg.restart()
        out, _ = p.communicate("go\n", timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    kv = parse(out)
    check("reconnect: pgprobe exit status", p.returncode, 0)
    check("reconnect after a restart: second batch", (status(kv, "add"), kv.get("add.added")),
          (MM_OK, str(N)))
    check("reconnect: all stored", probe("count", uri).get("events"), str(2 * N))


def snapshot(pg, db):
    return pg.sql("SELECT (SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables"
                  " WHERE schemaname = 'public') || ' ' || (SELECT string_agg(key || '=' || value,"
                  " ',' ORDER BY key) FROM meta)", db=db)


def test_newer_schema(pg):
    uri = pg.create_database("newer")
    probe("add", uri, 0, 10)
    pg.sql("UPDATE meta SET value = '99' WHERE key = 'schema_version'", db="newer")
    before = snapshot(pg, "newer")
    kv = probe("add", uri, 100, 10)
    check("schema 99: status", status(kv, "open"), MM_ESCHEMA)
    check_true("schema 99: message says so", "99" in kv.get("open.error", ""), kv.get("open.error"))
    check("schema 99: database untouched", snapshot(pg, "newer"), before)
    check("schema 99: events untouched", pg.sql("SELECT count(*) FROM events", db="newer"), "10")
    # Only a meta table saying 99: no table may be created either.
    pg.create_database("newer2")
    pg.sql("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
           " INSERT INTO meta VALUES ('schema_version', '99')", db="newer2")
    before = snapshot(pg, "newer2")
    check("schema 99 (bare): status", status(probe("open", pg.uri("newer2")), "open"), MM_ESCHEMA)
    check("schema 99 (bare): nothing created", snapshot(pg, "newer2"), before)


def test_password(pg):
    pg.add_password_user("mm_pw", "right-pw")
    pg.create_database("pw", owner="mm_pw")
    kv = probe("open", pg.uri("pw", user="mm_pw", password="wrong-pw"))
    check("wrong password: status", status(kv, "open"), MM_EAUTH)
    check_true("wrong password: message hides it", "wrong-pw" not in kv.get("open.error", "x"),
               kv.get("open.error"))
    check_true("wrong password: message names the server",
               "127.0.0.1:%d/pw" % pg.port in kv.get("open.error", ""), kv.get("open.error"))
    kv = probe("open", pg.uri("pw", user="mm_pw"))
    check("no password: status", status(kv, "open"), MM_EAUTH)
    kv = probe("add", pg.uri("pw", user="mm_pw", password="right-pw"), 0, 10)
    check("right password: stored", (status(kv, "open"), status(kv, "add"), kv.get("add.added")),
          (MM_OK, MM_OK, "10"))
    kv = probe("open", pg.uri("nosuchdb"))
    check("no such database: status", status(kv, "open"), MM_EDB)


def test_reader_role(pg):
    uri = pg.create_database("shared")
    probe("add", uri, 0, 10)
    pg.sql("CREATE ROLE mm_reader LOGIN", db="shared")
    pg.sql("GRANT USAGE ON SCHEMA public TO mm_reader;"
           " GRANT SELECT ON ALL TABLES IN SCHEMA public TO mm_reader", db="shared")
    ro = pg.uri("shared", user="mm_reader")
    kv = probe("count", ro)
    check("read-only role: reads", (status(kv, "open"), status(kv, "count"), kv.get("events")),
          (MM_OK, MM_OK, "10"))
    kv = probe("add", ro, 100, 10)
    check("read-only role: a write is refused", status(kv, "add"), MM_EDB)
    check_true("read-only role: the server's reason", "permission denied" in kv.get("add.error", ""),
               kv.get("add.error"))
    # A fresh database the role may not create tables in: refused, nothing made.
    pg.create_database("empty_ro")
    kv = probe("open", pg.uri("empty_ro", user="mm_reader"))
    check("no CREATE right on a fresh database: status", status(kv, "open"), MM_EDB)
    check_true("no CREATE right: the server's reason",
               "permission denied" in kv.get("open.error", ""), kv.get("open.error"))
    check("no CREATE right: nothing made",
          pg.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", db="empty_ro"), "0")


def test_concurrent_open(pg):
    uri = pg.create_database("fresh")
    procs = [subprocess.Popen([PGPROBE, "add", uri, str(i * 100), "100"], stdout=subprocess.PIPE,
                              text=True) for i in range(4)]
    results = [parse(p.communicate(timeout=60)[0]) for p in procs]
    check("4 processes: exit statuses", [p.returncode for p in procs], [0] * 4)
    check("4 processes open a fresh database at once",
          [(status(kv, "open"), status(kv, "add")) for kv in results], [(MM_OK, MM_OK)] * 4)
    check("4 processes: all events stored once", probe("count", uri).get("events"), "400")


def test_busy(pg):
    uri = pg.create_database("busy")
    probe("open", uri)
    holder = subprocess.Popen([os.path.join(pgserver.PGBIN, "psql"), "-X", "-q", "-h", pg.base,
                               "-p", str(pg.port), "-U", pgserver.SUPERUSER, "-d", "busy"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=pg._env())
    try:
        holder.stdin.write("SELECT pg_advisory_lock(%s);\n\\echo locked\n" % WRITE_LOCK)
        holder.stdin.flush()
        while "locked" not in holder.stdout.readline():
            pass
        env = dict(os.environ, PGPROBE_BUSY_MS="300")
        r = subprocess.run([PGPROBE, "add", uri, "0", "10"], capture_output=True, text=True,
                           timeout=60, env=env)
        kv = parse(r.stdout)
        check("writers' lock held elsewhere: status", status(kv, "add"), MM_EBUSY)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    check("writers' lock held elsewhere: nothing stored", probe("count", uri).get("events"), "0")
    check("lock released: stored", probe("add", uri, 0, 10).get("add.added"), "10")


def test_reads(pg):
    # Thin rows: one COPY.  Fat rows past 2,048 pages (pg_scan.c): two halves at once.
    for db, n, fat in (("reads", 20000, 0), ("reads_big", 18000, 1000)):
        uri = pg.create_database(db)
        env = dict(os.environ, PGPROBE_DIAG_BYTES=str(fat))
        subprocess.run([PGPROBE, "add", uri, "0", str(n)], capture_output=True, timeout=300,
                       env=env)
        if fat:
            pages = int(pg.sql("SELECT pg_relation_size('events') / 8192", db=db))
            check_true("the big table is past the two-halves size", pages >= 2048,
                       "%d pages" % pages)
        r = subprocess.run([PGPROBE, "reads", uri], capture_output=True, text=True, timeout=300)
        check_true("%s: a stopped statistics scan leaves the store usable, the scan gives the "
                   "event walk's rows, a check inside a walk" % db,
                   r.returncode == 0, r.stdout + r.stderr)


def test_utf8(pg):
    uri = pg.create_database("utf8")
    r = subprocess.run([PGPROBE, "utf8", uri], capture_output=True, text=True, timeout=60)
    check_true("not UTF-8 -> U+FFFD", r.returncode == 0, r.stdout + r.stderr)


def main():
    global PGPROBE
    if len(sys.argv) != 2:
        sys.exit("usage: errors.py PGPROBE")
    PGPROBE = sys.argv[1]
    try:
        with pgserver.PgServer() as pg:
            for t in (test_down_at_open, test_terminated, test_server_stopped, test_reconnect,
                      test_newer_schema, test_password, test_reader_role, test_concurrent_open, test_busy, test_reads,
                      test_utf8):
                try:
                    t(pg)
                except Exception as e:  # one broken scene must not hide the others
                    failures.append(t.__name__)
                    print("FAIL %s: %s: %s" % (t.__name__, type(e).__name__, e))
                    if not pg.running:
                        pg.start()
            if failures:
                print("server log tail:\n" + pg.log())
    except pgserver.PgMissing as e:
        print("FAIL: %s" % e)
        return 1
    print("%d failure(s)" % len(failures))
    return min(len(failures), 100)


if __name__ == "__main__":
    sys.exit(main())
