"""The Spine versions SpineLift writes (no imports: the command line offers the choices
without loading the data model)."""

SPINE_VERSIONS: dict[str, str] = {"4.2": "4.2.43", "4.1": "4.1.24", "4.0": "4.0.64"}
"""Supported ``major.minor`` -> the full version string written by default. The runtimes
compare only ``major.minor`` (spine-cpp ``SkeletonJson``: ``version.startsWith("4.2")``)."""

DEFAULT_SPINE_VERSION = "4.2"
