"""Save the bundled sample character as a layered PSD: ``make_sample_psd.py OUT.psd``.

An 8-bit RGB PSD with one layer per body part, the arms and the head in groups
tagged for PhotoshopToSpine (``[bone:...]``, ``[slot:face]``); see
:mod:`spinelift.io.psd.sample`. Same scale, same bytes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spinelift.io.psd import write_sample_psd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, metavar="OUT.psd")
    parser.add_argument("--scale", type=float, default=1.0, help="0.1-2 (default 1: 512x768)")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    path = write_sample_psd(args.out, args.scale)
    print(f"wrote the sample character to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
