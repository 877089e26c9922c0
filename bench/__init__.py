"""Benchmarks that print figures: mesh quality against hand-made meshes, and speed.

Run from the repository root, e.g. ``python -m bench.mesh_quality --set parts``;
see ``bench/README.md``. The real files come from ``../shared/corpus`` (or
``$SPINELIFT_SHARED/corpus``); they are read, never copied into the project.
"""
