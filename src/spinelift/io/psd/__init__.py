"""EDGE: PSD/PSB documents in (psd-tools), the project's sample PSD out.

:func:`read_psd` turns a layered PSD into a :class:`~spinelift.io.document.Document`;
:mod:`spinelift.io.psd.tags` reads PhotoshopToSpine's ``[tags]`` in layer names;
:func:`write_sample_psd` saves the bundled sample character as a layered PSD.
"""

from spinelift.io.psd.limits import DEFAULT_MAX_ALLOC_BYTES, DEFAULT_MAX_CANVAS, DEFAULT_MAX_PIXELS
from spinelift.io.psd.reader import PsdSource, read_psd
from spinelift.io.psd.sample import write_sample_psd
from spinelift.io.psd.tags import ParsedName, attachment_name, effective_tags, parse_name

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
