"""Run SpineLift exports through the official Spine 4.2 web runtimes (test and bench tooling).

The JavaScript lives in ``tools/spine-check/`` (see its README); its npm packages are pinned
there and installed by ``tools/spine-check/setup.sh``. This module only starts Node:

* :func:`check_export` runs ``node check.mjs DIR``: spine-core parses the atlas and the
  skeleton JSON, poses the setup pose and reports, per slot, the attachment, its region
  and its world vertices (skeleton space, y up), plus the skeleton data facts.
* :class:`SpineRenderer` keeps one ``node render.mjs --serve`` (one headless Chromium)
  alive and draws exports with spine-webgl into PNGs; :func:`render_export` does one.

Every failure raises :class:`SpineRuntimeError` carrying Node's stderr;
:func:`missing_tools` says what is missing to run them at all.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

TOOL_DIR = Path(__file__).resolve().parents[2] / "tools" / "spine-check"
"""``tools/spine-check`` of this checkout: check.mjs, render.mjs and node_modules."""

DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
SETUP_HINT = "run tools/spine-check/setup.sh (as root it also installs Chromium)"


class SpineRuntimeError(RuntimeError):
    """The runtime could not load or draw an export, or could not start at all."""

    def __init__(self, message: str, *, stderr: str = "") -> None:
        self.stderr = stderr
        full = f"{message}\n--- node stderr ---\n{stderr.strip()}" if stderr.strip() else message
        super().__init__(full)


def node_executable() -> str | None:
    """Path of ``node`` ($SPINE_CHECK_NODE, else the one on PATH), or None."""
    return os.environ.get("SPINE_CHECK_NODE") or shutil.which("node")


def chromium_executable() -> Path:
    """Chromium that render.mjs starts: $SPINE_CHECK_CHROMIUM, else /usr/bin/chromium."""
    return Path(os.environ.get("SPINE_CHECK_CHROMIUM") or DEFAULT_CHROMIUM)


def missing_tools(*, render: bool = False) -> list[str]:
    """What keeps :func:`check_export` (and with ``render``, the renderer) from running.

    Empty when everything is there; otherwise one readable line per missing piece.
    """
    missing: list[str] = []
    if node_executable() is None:
        missing.append("node is not installed (Debian: apt-get install nodejs npm)")
    modules = TOOL_DIR / "node_modules" / "@esotericsoftware"
    needed = ["spine-core", "spine-webgl"] if render else ["spine-core"]
    if not all((modules / name / "package.json").is_file() for name in needed):
        missing.append(f"npm packages missing in {TOOL_DIR / 'node_modules'}: {SETUP_HINT}")
    if render:
        if not (TOOL_DIR / "node_modules" / "playwright-core" / "package.json").is_file():
            missing.append(f"playwright-core missing in {TOOL_DIR / 'node_modules'}: {SETUP_HINT}")
        if not chromium_executable().is_file():
            missing.append(f"Chromium not found at {chromium_executable()}: {SETUP_HINT}")
    return missing


def _require(*, render: bool) -> str:
    missing = missing_tools(render=render)
    if missing:
        raise SpineRuntimeError("cannot run the Spine runtime: " + "; ".join(missing))
    node = node_executable()
    assert node is not None
    return node


def check_export(
    export_dir: str | os.PathLike[str],
    *,
    skeleton: str | None = None,
    atlas: str | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """What spine-core 4.2 makes of the export in ``export_dir`` (the parsed JSON report).

    ``skeleton`` / ``atlas`` name the files inside ``export_dir`` when it does not hold
    exactly one ``*.json`` and one ``*.atlas``. Report keys: ``runtime`` (package and
    version), ``files``, ``skeleton`` (name, version, hash, x/y/width/height, ``bones`` with
    their setup values, ``bonesWorld``, ``slots``, ``skins``, ``defaultSkin``,
    ``animations``), ``atlas`` (pages with PNG sizes, region count), ``drawOrder`` and
    ``slots``: one entry per slot in draw order with ``slot``, ``bone``, ``attachment``,
    ``type`` ("mesh", "region", another class name or None) and, for meshes and regions,
    ``path``, ``region``, ``regionInfo``, ``worldVertices`` (flat x, y, skeleton space,
    y up, rounded to 1e-6), ``bounds`` (minX, minY, maxX, maxY); meshes also give
    ``vertexCount``, ``hull``, ``triangles``, ``regionUVs``, ``uvs`` and ``weighted``.

    Raises :class:`SpineRuntimeError` (with Node's stderr) when the runtime rejects it.
    """
    node = _require(render=False)
    cmd = [node, str(TOOL_DIR / "check.mjs"), str(Path(export_dir).resolve())]
    if skeleton is not None:
        cmd += ["--skeleton", skeleton]
    if atlas is not None:
        cmd += ["--atlas", atlas]
    try:
        proc = subprocess.run(
            cmd, cwd=TOOL_DIR, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SpineRuntimeError(f"check.mjs took longer than {timeout} s on {export_dir}") from exc
    if proc.returncode != 0:
        raise SpineRuntimeError(
            f"spine-core rejected {export_dir} (exit {proc.returncode})", stderr=proc.stderr
        )
    try:
        report: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise SpineRuntimeError(
            f"check.mjs printed no JSON: {proc.stdout[:500]!r}", stderr=proc.stderr
        ) from exc
    return report


class SpineRenderer:
    """One headless Chromium drawing exports with spine-webgl 4.2; use it as a context manager.

    ``render`` draws the setup pose so that skeleton space maps 1:1 to canvas pixels:
    skeleton (0, 0) lands on the canvas point ``origin`` (pixels from the top-left corner,
    y down; default ``(0, height)``, the bottom-left corner, so skeleton ``(x, y)`` is drawn
    at canvas ``(x, height - y)``). Renders are serialised (one at a time per renderer).
    """

    def __init__(self, *, start_timeout: float = 60.0) -> None:
        self._start_timeout = start_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: list[str] = []
        self._lock = threading.Lock()
        self.browser_version = ""
        self.runtime_version = ""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self) -> None:
        """Start Node and Chromium (done by ``with``); raises SpineRuntimeError on failure."""
        if self._proc is not None:
            return
        node = _require(render=True)
        self._proc = subprocess.Popen(
            [node, str(TOOL_DIR / "render.mjs"), "--serve"],
            cwd=TOOL_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        assert self._proc.stderr is not None
        threading.Thread(target=_drain, args=(self._proc.stderr, self._stderr), daemon=True).start()
        hello = self._read_answer(self._start_timeout, "start Chromium")
        if not hello.get("ready"):
            self.close()
            raise SpineRuntimeError(f"render.mjs did not start: {hello}", stderr=self.stderr)
        self.browser_version = str(hello.get("browser", ""))
        self.runtime_version = str(hello.get("runtime", ""))

    @property
    def stderr(self) -> str:
        """What render.mjs wrote on stderr so far."""
        return "".join(self._stderr)

    def render(
        self,
        export_dir: str | os.PathLike[str],
        out_png: str | os.PathLike[str],
        *,
        width: int,
        height: int,
        origin: tuple[float, float] | None = None,
        background: str | None = None,
        skeleton: str | None = None,
        atlas: str | None = None,
        antialias: bool = False,
        timeout: float = 60.0,
    ) -> dict[str, Any]:
        """Draw the setup pose of ``export_dir`` into ``out_png`` (``width`` x ``height``).

        ``background`` is ``"#rrggbb"`` or ``"#rrggbbaa"`` (default transparent);
        ``antialias`` turns on the canvas's multisampling (off by default: with it off,
        pixel-aligned meshes reproduce their texture exactly). Returns render.mjs's answer
        (``out``, ``ms``, ``runtime``, ``browser``, ``warnings``...). Raises
        :class:`SpineRuntimeError` when the export cannot be drawn.
        """
        request: dict[str, Any] = {
            "dir": str(Path(export_dir).resolve()),
            "out": str(Path(out_png).resolve()),
            "width": int(width),
            "height": int(height),
            "antialias": antialias,
        }
        if origin is not None:
            request["origin"] = [float(origin[0]), float(origin[1])]
        if background is not None:
            request["background"] = background
        if skeleton is not None:
            request["skeleton"] = skeleton
        if atlas is not None:
            request["atlas"] = atlas
        with self._lock:
            proc = self._proc
            if proc is None or proc.stdin is None:
                raise SpineRuntimeError("the renderer is not started (use it in a with block)")
            try:
                proc.stdin.write(json.dumps(request) + "\n")
                proc.stdin.flush()
            except OSError as exc:
                raise SpineRuntimeError("render.mjs has exited", stderr=self.stderr) from exc
            answer = self._read_answer(timeout, f"render {export_dir}")
        if not answer.get("ok"):
            raise SpineRuntimeError(
                f"spine-webgl could not draw {export_dir}: {answer.get('error')}",
                stderr=self.stderr,
            )
        return answer

    def _read_answer(self, timeout: float, what: str) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None and proc.stdout is not None
        stdout = proc.stdout
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            self.close()
            raise SpineRuntimeError(f"render.mjs took longer than {timeout} s to {what}")
        line = box[0] if box else ""
        if not line:
            proc.wait(timeout=5)
            code = proc.returncode
            self._proc = None
            raise SpineRuntimeError(
                f"render.mjs exited (code {code}) instead of answering ({what})",
                stderr=self.stderr,
            )
        try:
            answer: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SpineRuntimeError(f"render.mjs said {line[:500]!r}", stderr=self.stderr) from exc
        return answer

    def close(self) -> None:
        """Stop Chromium and Node (closing stdin lets render.mjs shut the browser down)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def render_export(
    export_dir: str | os.PathLike[str],
    out_png: str | os.PathLike[str],
    *,
    width: int,
    height: int,
    origin: tuple[float, float] | None = None,
    background: str | None = None,
    skeleton: str | None = None,
    atlas: str | None = None,
    antialias: bool = False,
) -> dict[str, Any]:
    """One render with a browser of its own; see :meth:`SpineRenderer.render`.

    For several renders keep one :class:`SpineRenderer` open instead (Chromium starts once).
    """
    with SpineRenderer() as renderer:
        return renderer.render(
            export_dir,
            out_png,
            width=width,
            height=height,
            origin=origin,
            background=background,
            skeleton=skeleton,
            atlas=atlas,
            antialias=antialias,
        )


def _drain(stream: IO[str], sink: list[str]) -> None:
    for line in stream:
        sink.append(line)
        if len(sink) > 2000:  # keep the tail only: a chatty browser must not grow it forever
            del sink[:1000]


__all__ = [
    "TOOL_DIR",
    "SpineRenderer",
    "SpineRuntimeError",
    "check_export",
    "chromium_executable",
    "missing_tools",
    "node_executable",
    "render_export",
]
