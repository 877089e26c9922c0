"""EDGE: talking to user-supplied URLs safely (image fetches, progress callbacks).

:mod:`~spinelift.net.ssrf` decides whether a URL may be reached and pins the checked
address; :mod:`~spinelift.net.fetch` downloads through that guard with size and time
limits; :mod:`~spinelift.net.callbacks` sends signed, retried JSON callbacks that never
raise. Imports only :mod:`spinelift.errors` (and, when it exists, the config).
"""

from spinelift.net.callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER, post_json, sign, verify
from spinelift.net.fetch import fetch_bytes, pinned_client
from spinelift.net.ssrf import Target, UrlPolicy, check_url, is_public_address

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "Target",
    "UrlPolicy",
    "check_url",
    "fetch_bytes",
    "is_public_address",
    "pinned_client",
    "post_json",
    "sign",
    "verify",
]
