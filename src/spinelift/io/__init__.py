"""EDGE: reading images, drawing previews and writing files (Pillow, OpenCV).

Everything here that writes does so atomically (:mod:`spinelift.atomic`): a temporary
file in the target's folder, then ``os.replace``, so a reader never sees a half-written
file.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spinelift.io.files import write_json
    from spinelift.io.image import DEFAULT_MAX_PIXELS, read_image, write_png
    from spinelift.io.preview import PreviewStyle, render_preview

_LAZY = {
    "DEFAULT_MAX_PIXELS": "image",
    "PreviewStyle": "preview",
    "read_image": "image",
    "render_preview": "preview",
    "write_json": "files",
    "write_png": "image",
}
"""loaded on first use: importing one io module (the CLI's parsers import a few) must not
load Pillow and OpenCV for the others"""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MAX_PIXELS",
    "PreviewStyle",
    "read_image",
    "render_preview",
    "write_json",
    "write_png",
]
