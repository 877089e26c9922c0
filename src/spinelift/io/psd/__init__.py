"""EDGE: PSD/PSB documents in (psd-tools), the project's sample PSD out.

:func:`read_psd` turns a layered PSD into a :class:`~spinelift.io.document.Document`;
:mod:`spinelift.io.psd.tags` reads PhotoshopToSpine's ``[tags]`` in layer names;
:func:`write_sample_psd` saves the bundled sample character as a layered PSD.
"""

from typing import TYPE_CHECKING, Any

from spinelift.io.psd.limits import DEFAULT_MAX_ALLOC_BYTES, DEFAULT_MAX_CANVAS, DEFAULT_MAX_PIXELS
from spinelift.io.psd.tags import ParsedName, attachment_name, effective_tags, parse_name

if TYPE_CHECKING:
    from spinelift.io.psd.reader import PsdSource, read_psd
    from spinelift.io.psd.sample import write_sample_psd

_LAZY = {"PsdSource": "reader", "read_psd": "reader", "write_sample_psd": "sample"}
"""names whose modules import psd-tools: loaded on first use, so that reading layer-name
tags (the CLI's parser, the rig) does not pay for psd-tools"""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_MAX_ALLOC_BYTES",
    "DEFAULT_MAX_CANVAS",
    "DEFAULT_MAX_PIXELS",
    "ParsedName",
    "PsdSource",
    "attachment_name",
    "effective_tags",
    "parse_name",
    "read_psd",
    "write_sample_psd",
]
