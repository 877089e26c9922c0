"""jobs.kind may be 'build_export': exports are built once per project version by a worker

Only the ``ck_jobs_kind`` check constraint changes. SQLite cannot alter a constraint:
the table is rebuilt in batch mode, keeping ``AUTOINCREMENT`` (revision 0003) and its
sequence (the rebuild copies ``sqlite_sequence``'s row back).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 17:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("process_psd", "generate_mesh", "cleanup", "notification")
AFTER = ("process_psd", "generate_mesh", "build_export", "cleanup", "notification")


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM jobs WHERE kind = 'build_export'"))
    _replace(BEFORE)


def _replace(kinds: tuple[str, ...]) -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    seq = None
    if sqlite:
        seq = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'jobs'")).scalar()
    condition = "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"
    with op.batch_alter_table(
        "jobs",
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True} if sqlite else {},
    ) as batch:
        batch.drop_constraint(op.f("ck_jobs_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_jobs_kind"), condition)
    if sqlite and seq is not None:
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'jobs'"))
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('jobs', :seq)"), {"seq": seq}
        )
