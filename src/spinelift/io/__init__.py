"""EDGE: reading images, drawing previews and writing files (Pillow, OpenCV).

Everything here that writes does so atomically: a temporary file in the target's
folder, then ``os.replace``, so a reader never sees a half-written file.
"""

from spinelift.io.files import write_atomic, write_json
from spinelift.io.image import DEFAULT_MAX_PIXELS, read_image, write_png
from spinelift.io.preview import PreviewStyle, render_preview

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "PreviewStyle",
    "read_image",
    "render_preview",
    "write_atomic",
    "write_json",
    "write_png",
]
