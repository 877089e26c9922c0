"""ids are never reused (SQLite AUTOINCREMENT) and users.token_version

SQLite hands a deleted row's id (the largest) to the next insert unless the table is
``AUTOINCREMENT``; that needs each table rebuilt (batch mode, foreign keys switched off
by ``env.py`` for the copy and checked again at the end). The sequences start above the
largest id ever used: the largest id in the table, or in the audit log (a deleted user's
or project's id is still there). PostgreSQL's sequences never reuse ids: only the new
column is added there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 17:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("users", "projects", "uploads", "layers", "meshes", "jobs", "audit_log", "notifications")
"""every table, parents first"""
AUDIT_TYPES = {
    "users": "user",
    "projects": "project",
    "uploads": "upload",
    "layers": "layer",
    "meshes": "mesh",
    "notifications": "notification",
}
"""tables whose ids the audit log records as ``target_id`` (jobs are audited by job_id)"""


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=True)
        _start_sequences_above_used_ids()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=False)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_version")


def _rebuild(*, autoincrement: bool) -> None:
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass
    problems = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"foreign keys broken by the rebuild: {problems[:5]}")


def _start_sequences_above_used_ids() -> None:
    bind = op.get_bind()
    for table in TABLES:
        top = bind.execute(sa.text(f"SELECT MAX(id) FROM {table}")).scalar() or 0
        target_type = AUDIT_TYPES.get(table)
        if target_type is not None:
            audited = bind.execute(
                sa.text(
                    "SELECT MAX(CAST(target_id AS INTEGER)) FROM audit_log"
                    " WHERE target_type = :type"
                ),
                {"type": target_type},
            ).scalar()
            top = max(top, int(audited or 0))
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :name"), {"name": table})
        if top:
            bind.execute(
                sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:name, :seq)"),
                {"name": table, "seq": top},
            )
