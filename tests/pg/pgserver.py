#!/usr/bin/env python3
"""
pgserver.py - a private PostgreSQL 15 server on a loopback port, for tests.

    with PgServer() as pg:
        uri = pg.uri()                 # postgresql://postgres@127.0.0.1:PORT/mailmedic
        uri2 = pg.create_database()    # a fresh database per test
        pg.stop(); pg.start()          # "the server is down" / "it came back"
        pg.terminate_backends("db")    # "the connection went away"

or from a shell / meson test:

    pgserver.py run [--durable] -- CMD ARGS...

which starts a server, runs CMD with MM_TEST_STORE and MM_PG_URI set to the
URI of a fresh database (and MM_PG_PORT, MM_PG_SOCKET), stops the server and
exits with CMD's status.

How it works: initdb makes a cluster in a fresh temporary directory (UTF-8,
C locale), the server listens only on 127.0.0.1 at a free port with its unix
socket inside that directory, and pg_ctl starts and stops it.  PostgreSQL
refuses to run as root, so as root (CI) every server command runs as the
`postgres` system user of the Debian package (runuser), which owns the
directory; otherwise as the current user.  Loopback connections are trusted,
except for members of the role mm_password_users (add_password_user()),
which must give a SCRAM password: that is how the tests reach "wrong
password".  The server is always stopped and the directory removed, also
on exceptions, SIGTERM (meson's time-out) and, through a watchdog process
that notices when we die, after a SIGKILL of this process.

Unless durable=True, fsync and synchronous_commit are off: the cluster is
thrown away afterwards, and a crash of the *server* is not what the tests
simulate (they stop it cleanly or terminate sessions).

Needs the Debian package postgresql-15 (and postgresql-client-15 for psql).
"""

import argparse
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PGBIN = os.environ.get("MM_PGBIN", "/usr/lib/postgresql/15/bin")
SUPERUSER = "postgres"
PASSWORD_GROUP = "mm_password_users"

HBA = """\
# Written by tests/pg/pgserver.py: loopback only.
local all all                        trust
host  all +{group} 127.0.0.1/32      scram-sha-256
host  all all      127.0.0.1/32      trust
""".format(group=PASSWORD_GROUP)


class PgMissing(RuntimeError):
    pass


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def check_tools():
    """Raise PgMissing unless the PostgreSQL 15 server and psql are here."""
    need = ["initdb", "pg_ctl", "postgres", "psql"]
    missing = [n for n in need if not os.access(os.path.join(PGBIN, n), os.X_OK)]
    if missing:
        raise PgMissing("needed for the PostgreSQL tests but missing in %s: %s "
                        "(install the Debian package postgresql-15)" % (PGBIN, ", ".join(missing)))
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise PgMissing("running as root, but the system user postgres does not exist "
                            "(the Debian package postgresql-15 creates it)")
        if not shutil.which("runuser"):
            raise PgMissing("running as root, but runuser is missing (Debian package util-linux)")


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text):
    return "'" + text.replace("'", "''") + "'"


class PgServer:
    """A private PostgreSQL server; a context manager that always stops it."""

    def __init__(self, dbname="mailmedic", durable=False, keep=False):
        self.dbname = dbname
        self.durable = durable
        self.keep = keep          # keep the directory (for debugging)
        self.port = None
        self.base = None
        self.data = None
        self.running = False
        self._watchdog = None
        self._dbcount = 0

    # -- running as the postgres user -----------------------------------
    def _as_owner(self, argv):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--"] + argv
        return argv

    def _run(self, argv, check=True, timeout=120):
        r = subprocess.run(self._as_owner(argv), cwd=self.base, capture_output=True,
                           text=True, timeout=timeout, env=self._env())
        if check and r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s%s\n%s" % (" ".join(argv), r.returncode,
                                                           r.stdout, r.stderr, self.log()))
        return r

    def _env(self):
        # Our own settings only: a PGHOST or PGPASSWORD of the caller must not leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return env

    # -- set-up --------------------------------------------------------
    def _initdb(self):
        self.base = tempfile.mkdtemp(prefix="mm-pg-")
        self.data = os.path.join(self.base, "data")
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        os.chmod(self.base, 0o700)
        self._run([os.path.join(PGBIN, "initdb"), "-D", self.data, "-U", SUPERUSER,
                   "-E", "UTF8", "--locale=C", "-A", "trust", "--no-sync", "--no-instructions"])
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write(HBA)
        self._write_conf()

    def _write_conf(self):
        conf = [
            "listen_addresses = '127.0.0.1'",
            "port = %d" % self.port,
            "unix_socket_directories = '%s'" % self.base,
            "max_connections = 50",
            "shared_buffers = 128MB",
            "password_encryption = 'scram-sha-256'",
            "logging_collector = off",
            "log_min_messages = warning",
            "lc_messages = 'C'",
            "timezone = 'UTC'",
        ]
        if not self.durable:
            conf += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with open(os.path.join(self.data, "postgresql.auto.conf"), "w") as f:
            f.write("\n".join(conf) + "\n")

    def _start_watchdog(self):
        """A process that stops the server and removes the directory if we die (SIGKILL)."""
        rfd, wfd = os.pipe()
        self._watchdog = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "_watchdog", self.data, self.base,
             "1" if self.keep else "0"],
            stdin=rfd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        os.close(rfd)
        self._watchdog_fd = wfd

    def _stop_watchdog(self):
        if self._watchdog:
            os.close(self._watchdog_fd)   # EOF: it checks the server is down and exits
            try:
                self._watchdog.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()
                self._watchdog.wait()
            self._watchdog = None

    # -- public --------------------------------------------------------
    def setup(self):
        """initdb, start, create the default database.  Returns self."""
        check_tools()
        for attempt in range(3):
            self.port = free_port()
            if self.base is None:
                self._initdb()
                self._start_watchdog()
            else:
                self._write_conf()
            try:
                self.start()
                break
            except RuntimeError:
                # Someone else took the port between free_port() and the start.
                if attempt == 2:
                    raise
        self.sql("CREATE ROLE %s NOLOGIN" % PASSWORD_GROUP)
        self.sql("CREATE DATABASE %s" % quote_ident(self.dbname))
        return self

    def start(self):
        """Start the (stopped) server and wait until it accepts connections."""
        self.running = True     # set first: a failed start must still be stopped
        self._run([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-l",
                   os.path.join(self.base, "server.log"), "-w", "-t", "60", "-s", "start"])

    def stop(self, mode="fast"):
        """Stop the server (fast: sessions are terminated, like a server going away)."""
        if not self.running:
            return
        r = self._run([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-m", mode, "-w",
                       "-t", "60", "-s", "stop"], check=False)
        if r.returncode != 0 and self._postmaster_pid():
            self._run([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-m", "immediate",
                       "-w", "-t", "30", "-s", "stop"], check=False)
        pid = self._postmaster_pid()
        if pid:
            # Belt and braces: our own postmaster, by its pid, never by name.
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.running = False

    def restart(self):
        self.stop()
        self.start()

    def cleanup(self):
        """Stop the server and remove the directory; safe to call twice."""
        try:
            self.stop()
        finally:
            self._stop_watchdog()
            if self.base and not self.keep:
                shutil.rmtree(self.base, ignore_errors=True)
                self.base = None

    def _postmaster_pid(self):
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError, TypeError):
            return None

    def uri(self, db=None, user=SUPERUSER, password=None):
        """The libpq URI of a database (default: the one made by setup())."""
        auth = user if password is None else "%s:%s" % (user, password)
        return "postgresql://%s@127.0.0.1:%d/%s" % (auth, self.port, db or self.dbname)

    def sql(self, query, db="postgres", check=True):
        """Run SQL as the superuser through psql; returns its output (unaligned, tuples only)."""
        r = subprocess.run([os.path.join(PGBIN, "psql"), "-X", "-q", "-A", "-t",
                            "-v", "ON_ERROR_STOP=1", "-h", self.base, "-p", str(self.port),
                            "-U", SUPERUSER, "-d", db, "-c", query],
                           capture_output=True, text=True, timeout=120, env=self._env())
        if check and r.returncode != 0:
            raise RuntimeError("psql -c %r failed (%d): %s" % (query, r.returncode, r.stderr))
        return r.stdout.strip()

    def create_database(self, name=None, owner=None):
        """CREATE DATABASE (a fresh name unless given); returns its URI."""
        if name is None:
            self._dbcount += 1
            name = "test%d" % self._dbcount
        q = "CREATE DATABASE %s" % quote_ident(name)
        if owner:
            q += " OWNER %s" % quote_ident(owner)
        self.sql(q)
        return self.uri(name)

    def add_password_user(self, name, password):
        """A login role that must authenticate with a SCRAM password over TCP."""
        self.sql("CREATE ROLE %s LOGIN PASSWORD %s IN ROLE %s" %
                 (quote_ident(name), quote_literal(password), PASSWORD_GROUP))

    def terminate_backends(self, db=None, application_name=None):
        """pg_terminate_backend() on the sessions of db (and/or application); returns the count."""
        cond = ["pid <> pg_backend_pid()", "backend_type = 'client backend'"]
        if db:
            cond.append("datname = %s" % quote_literal(db))
        if application_name:
            cond.append("application_name = %s" % quote_literal(application_name))
        out = self.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                       + " AND ".join(cond))
        return int(out or 0)

    def log(self):
        try:
            with open(os.path.join(self.base, "server.log"), errors="replace") as f:
                return f.read()[-4000:]
        except (OSError, TypeError):
            return "(no server log)"

    def __enter__(self):
        try:
            return self.setup()
        except BaseException:
            self.cleanup()
            raise

    def __exit__(self, *exc):
        self.cleanup()
        return False


def _watchdog(data, base, keep):
    """Wait for EOF on stdin (our parent is gone), then make sure the server is stopped."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        while os.read(0, 4096):
            pass
    except OSError:
        pass
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        argv = [os.path.join(PGBIN, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "-s", "stop"]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        subprocess.run(argv, cwd=base, capture_output=True, timeout=60)
    if keep != "1":
        shutil.rmtree(base, ignore_errors=True)
    return 0


def _raise_on_sigterm(signum, frame):
    raise KeyboardInterrupt("signal %d" % signum)


def main(argv):
    if len(argv) > 1 and argv[1] == "_watchdog":
        return _watchdog(*argv[2:5])
    ap = argparse.ArgumentParser(prog="pgserver.py",
                                 description="Run a command next to a private PostgreSQL server.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="start a server, run CMD with MM_TEST_STORE set, stop it")
    run.add_argument("--durable", action="store_true", help="keep fsync on (for benchmarks)")
    run.add_argument("--keep", action="store_true", help="keep the data directory")
    run.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv[1:])
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("run: no command given")
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    proc = None
    try:
        with PgServer(durable=args.durable, keep=args.keep) as pg:
            env = dict(os.environ)
            env.update(MM_TEST_STORE=pg.uri(), MM_PG_URI=pg.uri(), MM_PG_PORT=str(pg.port),
                       MM_PG_SOCKET=pg.base)
            # Its own process group, so a time-out stops CMD and all its children.
            proc = subprocess.Popen(cmd, env=env, start_new_session=True)
            rc = proc.wait()
            if rc != 0:
                sys.stderr.write("pgserver.py: %s exited with %d; server log tail:\n%s\n"
                                 % (cmd[0], rc, pg.log()))
            return rc if rc >= 0 else 128 - rc
    except PgMissing as e:
        sys.stderr.write("pgserver.py: %s\n" % e)
        return 1
    except KeyboardInterrupt:
        if proc:
            _stop_group(proc)
        return 130


def _stop_group(proc):
    """SIGTERM to CMD's process group, SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except OSError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            pass


if __name__ == "__main__":
    sys.exit(main(sys.argv))
