"""A local Kinesis stream: kinesalite from the project's npm lock, bound to 127.0.0.1.

Data lives in a folder (``.local/kinesis`` by default), so a restart keeps every stream and
record. ``LocalKinesis`` starts the server, waits until it answers, and stops it by its own
process id; the CLI's ``local-kinesis start|stop|status`` keep that id in a pid file so that
separate commands (the Makefile's demo) can share one server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from common.errors import UserError
from common.paths import KINESIS_DATA_DIR, NODE_MODULES

LAUNCHER = Path(__file__).resolve().parent / "kinesalite_loopback.js"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4567
DEFAULT_DATA_DIR = KINESIS_DATA_DIR
PID_FILE = "kinesalite.pid"


class LocalKinesisError(UserError):
    """The local Kinesis server cannot be started or reached; the message says why."""


def endpoint_url(port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> str:
    return f"http://{host}:{port}"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class LocalKinesis:
    """One kinesalite process; usable as a context manager."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        data_dir: Path = DEFAULT_DATA_DIR,
        host: str = DEFAULT_HOST,
        node_modules: Path = NODE_MODULES,
    ):
        self.host = host
        self.port = port
        self.data_dir = Path(data_dir)
        self.node_modules = Path(node_modules)
        self.process: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return endpoint_url(self.port, self.host)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "kinesalite.log"

    def start(self, timeout: float = 15.0) -> str:
        """Start the server and wait until it accepts connections; the endpoint URL."""
        node = shutil.which("node")
        if node is None:
            raise LocalKinesisError(
                "Node.js was not found on PATH: install Node.js 18+ to run the local Kinesis"
            )
        if not (self.node_modules / "kinesalite").is_dir():
            raise LocalKinesisError(
                f"kinesalite is not installed in {self.node_modules}: run `make setup`"
            )
        if _answers(self.host, self.port):
            raise LocalKinesisError(f"port {self.port} on {self.host} is already in use")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    node,
                    str(LAUNCHER),
                    str(self.node_modules),
                    self.host,
                    str(self.port),
                    str(self.data_dir / "leveldb"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal goes to us, not to it
            )
        deadline = time.monotonic() + timeout
        while not _answers(self.host, self.port):
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace").strip().splitlines()[-1:]
                raise LocalKinesisError(
                    f"kinesalite exited with code {self.process.returncode}: {' '.join(tail)}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise LocalKinesisError(f"kinesalite did not answer within {timeout:.0f} s")
            time.sleep(0.05)
        return self.endpoint_url

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the process this object started (and only it)."""
        if self.process is None:
            return
        stop_pid(self.process.pid, timeout, self.process)
        self.process = None

    def __enter__(self) -> LocalKinesis:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def stop_pid(pid: int, timeout: float = 5.0, process: subprocess.Popen | None = None) -> bool:
    """SIGTERM ``pid``, then SIGKILL after ``timeout``; False when it was not running."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                return True
        elif not _alive(pid):
            return True
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    if process is not None:
        process.wait()
    return True


def _alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child
        return reaped == 0
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


# -- a server shared by separate commands (`local-kinesis start|stop|status`) ------------------


def running(data_dir: Path) -> tuple[int, int] | None:
    """(pid, port) of a server that `start_detached` started on ``data_dir``, else None."""
    try:
        pid_text, port_text = (Path(data_dir) / PID_FILE).read_text().split()
        pid = int(pid_text)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    if LAUNCHER.name.encode() not in cmdline:
        return None  # the pid was reused by another process
    return pid, int(port_text)


def start_detached(port: int, data_dir: Path) -> str:
    """Start a server that outlives this process (unless one runs); a line saying where."""
    found = running(data_dir)
    if found:
        return f"local Kinesis already running (pid {found[0]}) at {endpoint_url(found[1])}"
    server = LocalKinesis(port=port, data_dir=data_dir)
    url = server.start()
    (Path(data_dir) / PID_FILE).write_text(f"{server.process.pid} {port}\n")
    return f"local Kinesis running (pid {server.process.pid}) at {url}, data in {data_dir}"


def stop_detached(data_dir: Path) -> str:
    """Stop the server `start_detached` started on ``data_dir``; a line saying what happened."""
    found = running(data_dir)
    if not found:
        return "local Kinesis is not running"
    stop_pid(found[0])
    (Path(data_dir) / PID_FILE).unlink(missing_ok=True)
    return f"local Kinesis stopped (pid {found[0]})"
