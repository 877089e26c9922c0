"""Alembic revisions (files named ``NNNN_<what>.py``; this file is ignored by Alembic)."""
