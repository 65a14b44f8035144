#!/usr/bin/env python3
"""`mailmedic log ingest --imap` against a real Dovecot on loopback (TLS with
a self-signed certificate the test trusts through --imap-cafile), and
against tests/imap/fakeimap.py for a server that drops the connection
mid-FETCH.  SQLite or PostgreSQL (tests/pg/pgserver.py).

Usage: imap_test.py BACKEND MAILMEDIC SRCDIR
"""
import json
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile

BACKEND, MM, SRC = sys.argv[1:4]
sys.path.insert(0, os.path.join(SRC, "tests", "imap"))
sys.path.insert(0, os.path.join(SRC, "tests", "pg"))
TMP = tempfile.mkdtemp(prefix="mm-ingest-imap-")
FAILS = []
EX = os.path.join(SRC, "examples", "bounces")


def check(cond, what, got, want):
    if not cond:
        FAILS.append(what)
        print("FAIL %s: got %r, want %r" % (what, got, want), flush=True)


def msg(name):
    return open(os.path.join(EX, name), "rb").read()


def ordinary(i):
    return (b"From: alice@example.com\r\nTo: bob@example.org\r\nSubject: lunch %d\r\n"
            b"Message-ID: <lunch%d@example.com>\r\nDate: Mon, 30 Nov 2026 01:00:00 +0000\r\n"
            b"\r\nSee you at noon.\r\n" % (i, i))


class Store:
    def __init__(self):
        self.pg = None
        if BACKEND == "pg":
            import pgserver
            self.pg = pgserver.PgServer().setup()
        self.n = 0

    def new_db(self):
        self.n += 1
        if self.pg:
            return self.pg.create_database()
        return os.path.join(TMP, "db%d.sqlite" % self.n)

    def count(self, db, table):
        if self.pg:
            return int(self.pg.sql("SELECT count(*) FROM " + table, db=db.rsplit("/", 1)[1]))
        con = sqlite3.connect(db)
        try:
            return con.execute("SELECT count(*) FROM " + table).fetchone()[0]
        finally:
            con.close()

    def close(self):
        if self.pg:
            self.pg.cleanup()


def ingest(db, args, password=None):
    env = dict(os.environ)
    env.pop("MAILMEDIC_IMAP_PASSWORD", None)
    if password is not None:
        env["MAILMEDIC_IMAP_PASSWORD"] = password
    r = subprocess.run([MM, "log", "--db", db, "ingest", "--format", "json"] + args,
                       capture_output=True, env=env, timeout=300)
    out = [l for l in r.stdout.decode().splitlines() if l.startswith("{")]
    return r.returncode, (json.loads(out[-1]) if out else {}), r.stderr.decode(errors="replace")


def dovecot_cases(st):
    from dovecot import Dovecot
    first = [msg("01-postfix-user-unknown.eml"), ordinary(1), msg("02-mailbox-full.eml")]
    with Dovecot(messages=first) as d:
        url = "imaps://127.0.0.1:%d/INBOX" % d.imaps_port
        base = ["--imap", url, "--imap-user", d.user, "--imap-cafile", d.cafile]
        db = st.new_db()
        rc, c, err = ingest(db, base, password=d.password)
        check(rc == 0, "first IMAP ingest exit", (rc, err[-400:]), 0)
        check((c.get("messages"), c.get("bounces"), c.get("not_bounces")) == (3, 2, 1),
              "first run: messages/bounces/not bounces",
              (c.get("messages"), c.get("bounces"), c.get("not_bounces")), (3, 2, 1))
        ev1 = c.get("events_added", 0)
        check(ev1 >= 2, "events stored", ev1, ">= 2")
        check(d.password not in err, "the password never printed", err[-200:], "no password")
        # the same bounce as a local file (LF) is the same event (IMAP gives CRLF)
        rc, c, _ = ingest(db, [os.path.join(EX, "01-postfix-user-unknown.eml")])
        check(c.get("events_added") == 0 and c.get("duplicates", 0) >= 1,
              "file copy of an IMAP bounce: duplicate", (c.get("events_added"),
              c.get("duplicates")), (0, ">= 1"))
        # nothing new: nothing fetched
        rc, c, err = ingest(db, base, password=d.password)
        check(rc == 0 and c.get("messages") == 0, "second run fetches nothing",
              (rc, c.get("messages")), (0, 0))
        # a new bounce arrives: only it is fetched
        d.append(msg("03-qq-frequency-limited.eml"))
        rc, c, err = ingest(db, base, password=d.password)
        check(rc == 0 and c.get("messages") == 1 and c.get("events_added", 0) >= 1,
              "a new bounce: only it", (rc, c.get("messages"), c.get("events_added")),
              (0, 1, ">= 1"))
        # credentials from a file (mode 0644: warned), --move-to
        d.append(msg("04-blocked-spamhaus.eml"))
        d.append(ordinary(2))
        cred = os.path.join(TMP, "cred")
        with open(cred, "w") as f:
            f.write("%s\n%s\n" % (d.user, d.password))
        os.chmod(cred, 0o644)
        args = ["--imap", url, "--imap-credentials", cred, "--imap-cafile", d.cafile,
                "--move-to", "Processed"]
        before = d.uids("INBOX")
        rc, c, err = ingest(db, args)
        check(rc == 0 and c.get("messages") == 2, "credentials file + move-to run",
              (rc, c.get("messages"), err[-300:]), (0, 2))
        check("other users" in err or "chmod" in err, "warned about a readable credentials file",
              err[-300:], "chmod 600")
        moved = d.uids("Processed")
        after = d.uids("INBOX")
        check(len(moved) == 1, "the new bounce moved to Processed", len(moved), 1)
        check(len(after) == len(before) - 1, "INBOX lost only the moved bounce",
              (len(before), len(after)), (len(before), len(before) - 1))
        # a wrong password: clear error, exit 1, nothing printed of the password
        rc, c, err = ingest(db, base, password="wrong-password-123")
        check(rc == 1, "wrong password exit", (rc, err[-300:]), 1)
        check("IMAP" in err and "wrong-password-123" not in err, "wrong password message",
              err[-300:], "IMAP ... (no password)")
        # no password at all: usage error
        rc, c, err = ingest(db, base)
        check(rc == 2, "no password: exit", (rc, err[-200:]), 2)
        total = st.count(db, "events")
        ref = st.new_db()
        files = [os.path.join(EX, n) for n in ["01-postfix-user-unknown.eml",
                 "02-mailbox-full.eml", "03-qq-frequency-limited.eml",
                 "04-blocked-spamhaus.eml"]]
        ingest(ref, files)
        check(total == st.count(ref, "events"), "IMAP events == the same bounces from files",
              total, st.count(ref, "events"))


def fake_cases(st):
    from fakeimap import FakeImap
    msgs = [msg("01-postfix-user-unknown.eml"), msg("02-mailbox-full.eml"),
            msg("03-qq-frequency-limited.eml"), ordinary(3)]
    with FakeImap(msgs, drop_uid=3) as f:
        url = "imap://127.0.0.1:%d/INBOX" % f.port
        base = ["--imap", url, "--imap-user", "u", "--imap-allow-plaintext"]
        db = st.new_db()
        rc, c, err = ingest(db, base, password="pw")
        check(rc == 1, "dropped connection: exit", (rc, err[-400:]), 1)
        check("IMAP" in err and "next run" in err, "dropped connection: clear message",
              err[-300:], "IMAP ... next run")
        check(c.get("messages") == 2, "messages stored before the drop", c.get("messages"), 2)
        f.drop_uid = None
        rc, c, err = ingest(db, base, password="pw")
        check(rc == 0, "next run exit", (rc, err[-300:]), 0)
        check(c.get("messages") == 2 and c.get("duplicates") == 0,
              "next run picks up at UID 3", (c.get("messages"), c.get("duplicates")), (2, 0))
    rc, c, err = ingest(st.new_db(), ["--imap", "imap://mail.example.com/INBOX", "--imap-user",
                                      "u", "--imap-allow-plaintext"], password="pw")
    check(rc == 2, "plaintext refused for a remote server", (rc, err[-200:]), 2)


def main():
    st = Store()
    try:
        dovecot_cases(st)
        fake_cases(st)
    finally:
        st.close()
        subprocess.run(["rm", "-rf", TMP])
    if FAILS:
        print("%d failure(s)" % len(FAILS))
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
