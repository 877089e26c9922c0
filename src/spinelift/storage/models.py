"""The web app's tables as typed SQLAlchemy 2 models (the single source of the schema).

::

    users ─┬─< projects ─┬─< uploads
           │             ├─< layers ──< meshes (one row per version)
           │             └─< jobs (process_psd, generate_mesh, cleanup, notification)
           ├─< notifications
           └─< audit_log (actor_user_id, nullable: system actions have none)

Statuses are short strings checked by the database (``CHECK ... IN (...)``) and named
by the ``*Status`` enums below. Times are timezone-aware UTC (:class:`UTCDateTime`
stores naive UTC on SQLite, ``timestamptz`` on PostgreSQL). JSON columns are JSONB on
PostgreSQL. The Alembic migrations in :mod:`spinelift.storage.migrations` create
exactly these tables; a test compares the two on both databases.

Size: over 300 lines, on purpose: every table of the web app in one schema module,
which the migrations mirror.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

from spinelift.errors import InternalError
from spinelift.storage.job_status import JobStatus

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONValue = JSON().with_variant(postgresql.JSONB(), "postgresql")
"""JSON on SQLite, JSONB on PostgreSQL."""

NEVER_REUSE_IDS: dict[str, Any] = {"sqlite_autoincrement": True}
"""Every table's ``__table_args__`` ends with this: SQLite's ``AUTOINCREMENT``, so an id
once used is never handed out again (a deleted user's or project's id never names a new
one; PostgreSQL's sequences already behave so)."""

MAX_ID = 2**31 - 1
"""the largest id a row can have: ids are PostgreSQL ``integer`` columns (SQLite's are wider)"""


def utcnow() -> datetime:
    """Now, timezone-aware UTC (the default clock of every timestamp)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every dialect (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: pass an aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class LayerStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class JobKind(StrEnum):
    PROCESS_PSD = "process_psd"
    GENERATE_MESH = "generate_mesh"
    BUILD_EXPORT = "build_export"
    CLEANUP = "cleanup"
    NOTIFICATION = "notification"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONValue,
    }


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(TimestampMixin, Base):
    """A person who signs in. ``email`` is stored lower-cased, so unique ignores case."""

    __tablename__ = "users"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    """the account's generation: every access token carries the one it was issued under,
    and is refused once this moves (deactivation, password change, deletion)"""

    projects: Mapped[list[Project]] = relationship(back_populates="owner", passive_deletes=True)


class Project(TimestampMixin, Base):
    """A user's work: one PSD (its uploads), its layers and their meshes."""

    __tablename__ = "projects"
    __table_args__ = (CheckConstraint(_in("status", ProjectStatus), name="status"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=ProjectStatus.DRAFT.value)
    error: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """default mesh parameters of the project's layers (seed 004 names)"""
    processing_started_at: Mapped[datetime | None]

    owner: Mapped[User] = relationship(back_populates="projects")
    layers: Mapped[list[Layer]] = relationship(
        back_populates="project", order_by="Layer.position", passive_deletes=True
    )


class Upload(Base):
    """A file a user uploaded; the bytes live in the blob store under ``blob_key``."""

    __tablename__ = "uploads"
    __table_args__ = (NEVER_REUSE_IDS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    blob_key: Mapped[str] = mapped_column(String(512))
    filename: Mapped[str] = mapped_column(String(255))
    """the name the user gave (display only: never part of a blob key)"""
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Layer(TimestampMixin, Base):
    """One layer of a project's PSD (seed 000's layer payload)."""

    __tablename__ = "layers"
    __table_args__ = (
        UniqueConstraint("project_id", "position"),
        CheckConstraint(_in("status", LayerStatus), name="status"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    upload_id: Mapped[int | None] = mapped_column(
        ForeignKey("uploads.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer)
    x: Mapped[int] = mapped_column(Integer, default=0)
    y: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    opacity: Mapped[float] = mapped_column(Float, default=1.0)
    blend_mode: Mapped[str] = mapped_column(String(32), default="normal")
    visible: Mapped[bool] = mapped_column(Boolean, default=True)
    has_mask: Mapped[bool] = mapped_column(Boolean, default=False)
    image_key: Mapped[str | None] = mapped_column(String(512))
    """blob key of the layer's PNG"""
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """mesh parameters of this layer (overrides the project's)"""
    rig: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    """the layer's groups and ``[tags]`` (:mod:`spinelift.io.layer_rig`): bones, slots,
    skins and folders of the export"""
    status: Mapped[str] = mapped_column(String(16), default=LayerStatus.PENDING.value)
    error: Mapped[str | None] = mapped_column(Text)

    project: Mapped[Project] = relationship(back_populates="layers")

    @property
    def bounds(self) -> dict[str, int]:
        """Seed 000's ``{"x", "y", "width", "height"}``."""
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}


class Mesh(Base):
    """One generated mesh of a layer; regenerating adds a version, never overwrites."""

    __tablename__ = "meshes"
    __table_args__ = (UniqueConstraint("layer_id", "version"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("layers.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column()
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    job_id: Mapped[str | None] = mapped_column(String(128))
    """the job that made it (``jobs.job_id``), for the audit trail"""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(TimestampMixin, Base):
    """A background job; the database is its source of truth, the broker only transport."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("status", JobStatus), name="status"),
        CheckConstraint(_in("kind", JobKind), name="kind"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress"),
        Index("ix_jobs_status_heartbeat_at", "status", "heartbeat_at"),
        Index("ix_jobs_status_enqueued_at", "status", "enqueued_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(128), unique=True)
    """the unique, caller-chosen id (idempotency key, the broker message's id)"""
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[dict[str, Any] | None] = mapped_column()
    """seed 004's ``{"code", "message", "details"}`` when failed"""
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column()
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    layer_id: Mapped[int | None] = mapped_column(
        ForeignKey("layers.id", ondelete="CASCADE"), index=True
    )
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)
    """when the message was (last) handed to the broker"""
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One state change or user action: who, what, when, before/after. Append-only."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_target_type_target_id", "target_type", "target_id"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(128))
    """``user:<id>``, ``system`` or ``job:<job_id>``"""
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(128))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Notification(Base):
    """An in-app message for a user (made by the Notification job)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AppendOnlyError(InternalError):
    """Raised when code tries to change or delete an audit row (a programming error)."""


def _refuse_change(mapper: Mapper[Any], connection: Connection, target: AuditEntry) -> None:
    raise AppendOnlyError("the audit log is append-only")


event.listen(AuditEntry, "before_update", _refuse_change)
event.listen(AuditEntry, "before_delete", _refuse_change)
