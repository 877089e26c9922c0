"""Where skeleton (0, 0) lies on the canvas: a value of its own, free of heavy imports, so
the command line can offer the choices without loading the export (:mod:`.rig` uses it)."""

from __future__ import annotations

from enum import StrEnum


class Origin(StrEnum):
    """Where skeleton (0, 0) lies on the canvas when the PSD does not say."""

    BOTTOM_CENTER = "bottom-center"
    BOTTOM_LEFT = "bottom-left"
    CENTER = "center"
    TOP_LEFT = "top-left"

    def point(self, width: int, height: int) -> tuple[float, float]:
        """The canvas point (pixels, y down) of the skeleton origin."""
        return {
            Origin.BOTTOM_CENTER: (width / 2.0, float(height)),
            Origin.BOTTOM_LEFT: (0.0, float(height)),
            Origin.CENTER: (width / 2.0, height / 2.0),
            Origin.TOP_LEFT: (0.0, 0.0),
        }[self]
