"""A throwaway PostgreSQL 15 server on 127.0.0.1.

    with PgServer(root=work_dir / "postgres") as pg:   # initdb + start, trust auth, TCP only
        pg.port, pg.user, pg.dbname                     # where to connect (127.0.0.1)
        pg.connect()                                    # a psycopg2 connection, autocommit

initdb and postgres refuse to run as root, so when the caller is root the data directory is
chowned to an unprivileged account ($PG_REHEARSAL_OS_USER, else `postgres` from Debian's
postgresql-common, else `nobody`) and the server runs as that account (subprocess user=).
Binaries: $PG_BINDIR, else /usr/lib/postgresql/15/bin, else `pg_config --bindir`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from contextlib import closing
from pathlib import Path

INSTALL_HINT = "make postgres (apt-get install postgresql-15 postgresql-plpython3-15, as root)"


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (tiny race window; fine for tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_bindir() -> Path | None:
    candidates = [os.environ.get("PG_BINDIR"), "/usr/lib/postgresql/15/bin"]
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    for c in candidates:
        if c and all((Path(c) / b).exists() for b in ("initdb", "postgres", "pg_isready")):
            return Path(c)
    return None


def missing_requirements() -> str | None:
    """None when PostgreSQL 15 with PL/Python 3 (and openssl, for the bridge's TLS) is usable;
    else one line saying what is missing and how to install it."""
    bindir = find_bindir()
    if bindir is None:
        return f"PostgreSQL 15 server not found: {INSTALL_HINT}"
    version = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True
    ).stdout
    if " 15." not in version:
        return f"PostgreSQL 15 needed, found {version.strip()!r}: {INSTALL_HINT}"
    libdir = bindir.parent / "lib"
    share = Path("/usr/share/postgresql/15/extension")
    if not (libdir / "plpython3.so").exists() and not (share / "plpython3u.control").exists():
        return f"PL/Python 3 (plpython3u) for PostgreSQL 15 not found: {INSTALL_HINT}"
    if os.geteuid() == 0 and _os_account() is None:
        return f"running as root and no unprivileged `postgres`/`nobody` account: {INSTALL_HINT}"
    if shutil.which("openssl") is None:
        return "the openssl CLI is needed for the bridge's TLS: apt-get install openssl"
    return None


def _os_account() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as when we are root (else None)."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("PG_REHEARSAL_OS_USER"), "postgres", "nobody"):
        if not name:
            continue
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    return None


class PgServer:
    def __init__(
        self, root: Path, dbname: str = "dev", user: str = "postgres", log_statements: bool = False
    ):
        self.bindir = find_bindir()
        if self.bindir is None:
            raise FileNotFoundError(missing_requirements())
        self.root = Path(root)  # data dir and server log live here
        self.dbname, self.user, self.host = dbname, user, "127.0.0.1"
        self.port = free_port()
        self.log_statements = log_statements
        self.account = _os_account()
        self.proc: subprocess.Popen | None = None

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    def dsn(self, dbname: str | None = None) -> str:
        return (
            f"host={self.host} port={self.port} user={self.user} "
            f"dbname={dbname or self.dbname} connect_timeout=5"
        )

    def connect(self, dbname: str | None = None, autocommit: bool = True):
        import psycopg2

        conn = psycopg2.connect(self.dsn(dbname))
        conn.autocommit = autocommit
        return conn

    def _as_account(self) -> dict:
        """subprocess kwargs that drop root to the unprivileged account (no-op otherwise)."""
        if self.account is None:
            return {}
        env = dict(
            os.environ, HOME=str(self.root), USER=self.account.pw_name, LOGNAME=self.account.pw_name
        )
        return {
            "user": self.account.pw_uid,
            "group": self.account.pw_gid,
            "extra_groups": [],
            "env": env,
            "cwd": str(self.root),
        }

    def start(self) -> PgServer:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.account is not None:
            os.chown(self.root, self.account.pw_uid, self.account.pw_gid)
        datadir = self.root / "data"
        initdb = subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                self.user,
                "--auth-local=trust",
                "--auth-host=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            capture_output=True,
            text=True,
            **self._as_account(),
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed: {initdb.stderr.strip()}")
        settings = {
            "listen_addresses": "127.0.0.1",  # loopback only
            "port": str(self.port),
            "unix_socket_directories": "",  # TCP only
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "60",
            "shared_buffers": "32MB",
            "log_min_messages": "warning",
            "timezone": "UTC",  # Redshift sessions default to UTC
        }
        if self.log_statements:
            settings["log_statement"] = "all"
        args = [str(self.bindir / "postgres"), "-D", str(datadir)]
        for k, v in settings.items():
            args += ["-c", f"{k}={v}"]
        with open(self.log_file, "ab") as log:
            if self.account is not None:
                os.chown(self.log_file, self.account.pw_uid, self.account.pw_gid)
            self.proc = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self._as_account(),
            )
        self._wait_ready(timeout=30)
        with closing(self.connect("postgres")) as conn, conn.cursor() as cur:
            cur.execute(f'create database "{self.dbname}"')
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited early:\n{self.log_file.read_text()[-3000:]}")
            ready = subprocess.run(
                [
                    str(self.bindir / "pg_isready"),
                    "-q",
                    "-h",
                    self.host,
                    "-p",
                    str(self.port),
                    "-U",
                    self.user,
                    "-d",
                    "postgres",
                ]
            )
            if ready.returncode == 0:
                return
            time.sleep(0.05)
        raise TimeoutError(
            f"postgres not ready after {timeout}s:\n{self.log_file.read_text()[-3000:]}"
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # SIGINT = "fast" shutdown: rolls back open sessions (a leftover dbt connection).
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
