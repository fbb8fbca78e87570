"""The loopback proxy between redshift_connector (dbt-redshift) and PostgreSQL.

Listens on 127.0.0.1:<free port> (asyncio, in a daemon thread), forwards each session to
PostgreSQL on 127.0.0.1. Protocol-level changes:

* SSLRequest: answered 'S' and TLS is done here with a throwaway self-signed certificate for
  127.0.0.1 (openssl CLI); the client needs SSL_CERT_FILE=<ca_file> (redshift_connector
  loads the default trust store, which honours it). The profile keeps `sslmode: require`.
* StartupMessage: the Redshift-only parameters are dropped (PostgreSQL takes every unknown
  startup parameter as a setting and fails with FATAL 42704).
* ParameterStatus server_version "15.18 (Debian ...)" -> "15.18" (redshift_connector runs
  packaging.version.parse on it).

Statement-level changes: the SQL of every Query ('Q') and Parse ('P') message goes to
`handler(sql, in_transaction) -> (sql_to_forward, on_execute)`, which runs in a worker
thread (it may query PostgreSQL or Kinesis); `in_transaction` is whether the session was in a
transaction block at its last ReadyForQuery (the server's 'Z' status 'T' or 'E').
`on_execute` (or None) is called right before the statement runs:
for 'Q' at once, for the extended protocol when an Execute ('E') names a portal bound
('B') to that prepared statement. redshift_connector caches prepared statements per
connection, so the same SQL may be parsed once and executed many times.
`record(sql)` is called with each statement received: when parsed, and again for each later
execution of a cached prepared statement.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import ssl
import struct
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

# What redshift_connector 2.1.x puts into its StartupMessage besides user, database and
# application_name; PostgreSQL knows none of them.
REDSHIFT_ONLY_STARTUP_PARAMS = {
    "client_protocol_version",
    "driver_version",
    "os_version",
    "driver_discovery_version",
    "plugin_name",
    "idp_type",
    "provider_name",
    "identity_namespace",
    "token_type",
    "idc_client_display_name",
}
SSL_REQUEST, GSSENC_REQUEST, CANCEL_REQUEST, PROTOCOL_3 = 80877103, 80877104, 80877102, 196608
AUTH_NEEDS_REPLY = {3, 5, 10, 11}  # cleartext, md5, SASL start, SASL continue

Handler = Callable[[str, bool], tuple[str, Callable[[], None] | None]]


def make_self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """cert.pem (self-signed, CA:TRUE, CN/SAN 127.0.0.1, 1 day) and key.pem, via openssl."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _message(mtype: bytes, body: bytes) -> bytes:
    return mtype + struct.pack("!I", len(body) + 4) + body


class Bridge:
    def __init__(self, upstream_port: int, handler: Handler, record=None, tls: bool = True):
        self.upstream = ("127.0.0.1", upstream_port)
        self.handler = handler
        self.record = record or (lambda sql: None)  # called with each statement received
        self.tls = tls
        self.port = 0
        self.ca_file: Path | None = None
        self._ssl_ctx: ssl.SSLContext | None = None
        self._tmp: Path | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Bridge:
        if self.tls:
            self._tmp = Path(tempfile.mkdtemp(prefix="rehearsal-tls-"))
            cert, key = make_self_signed_cert(self._tmp)
            self._ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._ssl_ctx.load_cert_chain(cert, key)
            self.ca_file = cert
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._session, "127.0.0.1", 0)
            )  # loopback only
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="rehearsal-bridge", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the bridge did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:

            async def shutdown() -> None:
                self._server.close()
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
            self._loop = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    # -- one session -------------------------------------------------------------------------
    async def _session(self, creader, cwriter) -> None:
        swriter = None
        try:
            startup = await self._read_startup(creader, cwriter)
            if startup is None:
                return
            sreader, swriter = await asyncio.open_connection(*self.upstream)
            swriter.write(startup)
            if struct.unpack("!I", startup[4:8])[0] == CANCEL_REQUEST:
                await swriter.drain()
                return
            await self._relay_until_ready(sreader, cwriter, creader, swriter)
            status = {"in_transaction": False}
            await asyncio.gather(
                self._client_to_server(creader, swriter, status),
                self._server_to_client(sreader, cwriter, status),
            )
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError) as e:
            log.debug("session ended: %r", e)
        except asyncio.CancelledError:
            pass
        finally:
            for w in (cwriter, swriter):
                if w is not None:
                    w.close()

    async def _read_startup(self, reader, writer) -> bytes | None:
        while True:
            length, code = struct.unpack("!II", await reader.readexactly(8))
            body = await reader.readexactly(length - 8)
            if code == SSL_REQUEST and self._ssl_ctx is not None:
                writer.write(b"S")
                await writer.drain()
                await writer.start_tls(self._ssl_ctx)
                continue
            if code in (SSL_REQUEST, GSSENC_REQUEST):
                writer.write(b"N")
                await writer.drain()
                continue
            if code == CANCEL_REQUEST:
                return struct.pack("!II", length, code) + body
            if code != PROTOCOL_3:
                return None
            parts = body.split(b"\0")
            params = dict(zip(parts[0:-2:2], parts[1:-2:2], strict=False))
            kept = {
                k: v for k, v in params.items() if k.decode() not in REDSHIFT_ONLY_STARTUP_PARAMS
            }
            payload = b"".join(k + b"\0" + v + b"\0" for k, v in kept.items()) + b"\0"
            return struct.pack("!II", 8 + len(payload), PROTOCOL_3) + payload

    async def _relay_until_ready(self, sreader, cwriter, creader, swriter) -> None:
        while True:
            head = await sreader.readexactly(5)
            mtype, length = head[:1], struct.unpack("!I", head[1:])[0]
            body = await sreader.readexactly(length - 4)
            if mtype == b"S":
                name, value, _ = body.split(b"\0")
                if name == b"server_version":
                    value = re.match(rb"[0-9]+(\.[0-9]+)*", value).group(0)
                    body = name + b"\0" + value + b"\0"
                    head = mtype + struct.pack("!I", len(body) + 4)
            cwriter.write(head + body)
            await cwriter.drain()
            if mtype == b"R" and struct.unpack("!I", body[:4])[0] in AUTH_NEEDS_REPLY:
                chead = await creader.readexactly(5)
                cbody = await creader.readexactly(struct.unpack("!I", chead[1:])[0] - 4)
                swriter.write(chead + cbody)
                await swriter.drain()
            if mtype in (b"Z", b"E"):
                return

    @staticmethod
    async def _server_to_client(reader, writer, status: dict) -> None:
        """The server's messages as they come, noting each ReadyForQuery's transaction
        status."""
        try:
            while True:
                try:
                    head = await reader.readexactly(5)
                except asyncio.IncompleteReadError:
                    return
                body = await reader.readexactly(struct.unpack("!I", head[1:])[0] - 4)
                if head[:1] == b"Z":
                    status["in_transaction"] = body != b"I"
                writer.write(head + body)
                await writer.drain()
        finally:
            writer.close()

    async def _translate(self, sql: str, in_transaction: bool = False):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.handler, sql, in_transaction)

    async def _run_hook(self, hook) -> None:
        if hook is not None:
            await asyncio.get_running_loop().run_in_executor(None, hook)

    async def _client_to_server(self, reader, writer, status: dict) -> None:
        """Client messages one by one; SQL goes through the handler. Each statement is
        recorded when parsed (so that one failing at Parse is too) and again on every later
        execution of the same prepared statement (redshift_connector's cache)."""
        prepared: dict[bytes, list] = {}  # statement name -> [sql, on_execute, executed]
        portals: dict[bytes, list] = {}  # portal name -> the same entry
        try:
            while True:
                try:
                    head = await reader.readexactly(5)
                except asyncio.IncompleteReadError:
                    return
                mtype, length = head[:1], struct.unpack("!I", head[1:])[0]
                body = await reader.readexactly(length - 4)
                if mtype == b"Q":  # Query: sql\0
                    self.record(body[:-1].decode())
                    sql, hook = await self._translate(body[:-1].decode(), status["in_transaction"])
                    await self._run_hook(hook)
                    body = sql.encode() + b"\0"
                elif mtype == b"P":  # Parse: name\0 sql\0 params
                    a = body.index(b"\0")
                    b = body.index(b"\0", a + 1)
                    original = body[a + 1 : b].decode()
                    self.record(original)
                    sql, hook = await self._translate(original, status["in_transaction"])
                    prepared[body[:a]] = [original, hook, False]
                    body = body[: a + 1] + sql.encode() + body[b:]
                elif mtype == b"B":  # Bind: portal\0 statement\0 ...
                    a = body.index(b"\0")
                    b = body.index(b"\0", a + 1)
                    portals[body[:a]] = prepared.get(body[a + 1 : b])
                elif mtype == b"E":  # Execute: portal\0 maxrows
                    entry = portals.get(body[: body.index(b"\0")])
                    if entry is not None:
                        if entry[2]:
                            self.record(entry[0])  # a cached statement, run again
                        entry[2] = True
                        await self._run_hook(entry[1])
                writer.write(_message(mtype, body))
                await writer.drain()
        finally:
            writer.close()
