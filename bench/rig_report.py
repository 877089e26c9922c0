"""Text of ``bench/rig_quality.py``'s results: the pooled row, the table and its notes."""

from __future__ import annotations

from typing import Any

from bench.rig_compare import Tally

RIGS = ("ours", "named", "naive", "rigid", "artist")
COLUMNS = (
    ("character", "<12"), ("atts", ">4"), ("points", ">6"), ("frames", ">6"), ("|", ""),
    ("ours", ">5"), ("named", ">5"), ("naive", ">5"), ("|", ""), ("mean", ">6"), ("p95", ">6"),
    ("rigid", ">6"), ("|", ""), ("outside", ">7"), ("flips%", ">6"), ("seconds", ">7"),
)  # fmt: skip


def pooled(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The pooled row: sums over characters (ratios of summed distances)."""
    row: dict[str, Any] = {"character": "pooled", "bent": []}
    for field in ("attachments", "points", "frames", "animations"):
        row[field] = sum(r[field] for r in results)
    rigs: dict[str, Any] = {}
    for rig in RIGS:
        if any("error" in r["rigs"].get(rig, {"error": ""}) for r in results):
            continue
        total = Tally()
        for r in results:
            total.add(r["_tallies"][rig])
        secs = [r["rigs"][rig].get("seconds") for r in results]
        rigs[rig] = {**total.figures(), "seconds": sum(secs) if None not in secs else None}
    row["rigs"] = rigs
    return row


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def _cells(row: dict[str, Any]) -> dict[str, str]:
    rigs = row["rigs"]
    shown = rigs.get(main_rig(row), {})
    cells = {name: str(row[name]) for name in ("character", "points", "frames")}
    cells["atts"] = str(row["attachments"])
    for rig in ("ours", "named", "naive"):
        cells[rig] = _num(rigs.get(rig, {}).get("ratio"), ".3f")
    cells["mean"] = _num(shown.get("mean_px"), ".2f")
    cells["p95"] = _num(shown.get("p95_px"), ".2f")
    cells["rigid"] = _num(rigs.get("rigid", {}).get("mean_px"), ".2f")
    cells["outside"] = _num(shown.get("outside"), "d")
    cells["flips%"] = _num(shown.get("flips_pct"), ".3f")
    cells["seconds"] = _num(rigs.get("ours", {}).get("seconds"), ".2f")
    return cells


def table(rows: list[dict[str, Any]]) -> str:
    """One line per character and the pooled row: ratio of each rig (rigid = 1), then the
    shown rig's (:func:`main_rig`) mean and p95 px, the rigid regions' mean px, outside
    points, flipped triangle-frames and ``spinelift rig`` seconds."""
    head = " ".join(name if not fmt else format(name, fmt) for name, fmt in COLUMNS)
    lines = [head, "-" * len(head)]
    for row in rows:
        cells = _cells(row)
        lines.append(" ".join("|" if not fmt else format(cells[n], fmt) for n, fmt in COLUMNS))
    return "\n".join(lines)


def notes(results: list[dict[str, Any]], shown: str) -> list[str]:
    """Legend, rigs that could not run, meshes skipped as bent, failed self-checks."""
    out = [
        "ratio = summed distance to the artist's rig / the rigid regions' (rigid = 1);",
        f"mean, p95 (px), outside, flips%: {shown}; rigid: the rigid regions' mean (px);",
        "seconds: wall time of `spinelift rig` (ours)",
    ]
    errors = {
        (rig, f["error"][:300]) for r in results for rig, f in r["rigs"].items() if "error" in f
    }
    for rig, error in sorted(errors):
        where = [r["character"] for r in results if r["rigs"][rig].get("error", "")[:300] == error]
        out.append(f"{rig} ({', '.join(where)}): {error}")
    for r in results:
        for b in r["bent"]:
            if b["weighted"]:
                bent = f"bent in the setup pose: fit off by {b['residual_px']} px"
                out.append(f"{r['character']}: skipped {b['attachment']} ({bent})")
        artist = r["rigs"].get("artist", {})
        if artist.get("ratio") not in (0.0, None):
            out.append(f"{r['character']}: CHECK FAILED, artist against itself: {artist['ratio']}")
    return out


def main_rig(row: dict[str, Any]) -> str:
    """The rig whose mean, p95, outside and flips the table shows: ours, else naive."""
    return "ours" if "ratio" in row["rigs"].get("ours", {}) else "naive"


def per_attachment(results: list[dict[str, Any]]) -> list[str]:
    """One line per followed attachment: its ratio in each rig."""
    lines = ["per attachment (ratio; rigid = 1): ours named naive"]
    for r in results:
        for key, ratios in r["per_attachment"].items():
            cells = " ".join(_num(ratios.get(rig), ".3f") for rig in ("ours", "named", "naive"))
            lines.append(f"  {r['character']}/{key}: {cells}")
    return lines
