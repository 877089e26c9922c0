"""Follow texture points through the frames of two rigs and compare them (pure).

For one attachment: the opaque grid points (uvs) of its image; in a mesh rig a point is
carried by the triangle holding its uv (barycentric), in a region by the bilinear map of the
4 corners. Distances are measured to the artist's rig, in the frames where the artist's slot
shows the attachment, for the points that both the artist's mesh and the rig's mesh hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bench.rig_geometry import Floats, bilinear, carry, flips, locate
from bench.rig_track import Tracked


def positions(tracked: Tracked, points: Floats) -> tuple[Floats, np.ndarray]:
    """World positions (F, n, 2) of uv ``points`` in every frame, and which points the rig's
    mesh holds (n,) (a region holds all)."""
    if tracked.kind == "region":
        return bilinear(tracked.frames, points), np.ones(len(points), dtype=bool)
    index, bary = locate(points, tracked.uvs, tracked.triangles)
    return carry(tracked.frames, tracked.triangles, index, bary), index >= 0


@dataclass
class Tally:
    """Summed figures of one rig against the artist's (over attachments, then characters)."""

    distance: float = 0.0  # summed distance to the artist's, px
    rigid: float = 0.0  # summed distance of the rigid regions, same point-frames
    count: int = 0  # point-frames measured
    outside: int = 0  # opaque grid points no triangle of the rig holds
    flipped: int = 0
    triangle_frames: int = 0
    samples: list[Floats] = field(default_factory=list)  # distances, for percentiles

    def add(self, other: Tally) -> None:
        self.distance += other.distance
        self.rigid += other.rigid
        self.count += other.count
        self.outside += other.outside
        self.flipped += other.flipped
        self.triangle_frames += other.triangle_frames
        self.samples += other.samples

    def figures(self) -> dict[str, float | int | None]:
        """ratio (to rigid), mean and p95 px, outside, flips % (None when nothing measured)."""
        d = np.concatenate(self.samples) if self.samples else np.zeros(0)
        return {
            "ratio": self.distance / self.rigid if self.rigid > 0 else None,
            "mean_px": float(d.mean()) if d.size else None,
            "p95_px": float(np.percentile(d, 95)) if d.size else None,
            "point_frames": self.count,
            "outside": self.outside,
            "flips_pct": 100.0 * self.flipped / self.triangle_frames
            if self.triangle_frames
            else None,
        }


def compare(artist: Tracked, rigid: Tracked, rig: Tracked, points: Floats) -> Tally:
    """One attachment: ``rig`` and ``rigid`` against ``artist`` on the grid ``points`` (all the
    image's opaque grid points; only those in the artist's mesh are followed)."""
    if not len(artist.frames) == len(rig.frames) == len(rigid.frames):
        counts = (len(artist.frames), len(rig.frames), len(rigid.frames))
        raise ValueError(f"frame counts differ (artist, rig, rigid): {counts}")
    frames = np.nonzero(artist.visible)[0]
    a_pos, a_in = positions(artist, points)
    r_pos, r_in = positions(rig, points)
    g_pos, _ = positions(rigid, points)
    held = a_in & r_in
    tally = Tally(outside=int((~r_in).sum()))
    if frames.size and held.any():
        d = np.linalg.norm(r_pos[frames][:, held] - a_pos[frames][:, held], axis=2).ravel()
        g = np.linalg.norm(g_pos[frames][:, held] - a_pos[frames][:, held], axis=2).ravel()
        tally.distance, tally.rigid, tally.count = float(d.sum()), float(g.sum()), int(d.size)
        tally.samples.append(d)
    if rig.kind == "mesh" and frames.size:
        tally.flipped, tally.triangle_frames = flips(rig.frames[frames], rig.setup, rig.triangles)
    return tally
