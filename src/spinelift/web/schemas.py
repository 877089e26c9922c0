"""Request and response bodies of the web API (pydantic). Names a user typed (project,
layer, file names) are plain data: JSON-escaped on the way out, never paths."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MIN_PASSWORD_LENGTH = 10


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)


class SignInBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class PasswordConfirmation(BaseModel):
    """The account's password, asked again before an irreversible change."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    created_at: datetime


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    parameters: dict[str, Any] = Field(default_factory=dict)


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=10_000)
    parameters: dict[str, Any] | None = None


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    status: str
    error: str | None
    parameters: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ProjectList(BaseModel):
    items: list[ProjectOut]
    total: int


class Accepted(BaseModel):
    """202: the work is queued; follow ``job_id`` (GET /api/v1/jobs/{job_id}) or the
    project's events."""

    job_id: str
    status: str = "queued"
    upload_id: int | None = None
    layer_id: int | None = None


class MeshFigures(BaseModel):
    version: int
    job_id: str | None
    parameters: dict[str, Any]
    figures: dict[str, Any] | None
    """``{"vertices", "hull", "triangles", "overdraw"}`` of this version"""
    created_at: datetime


class LayerOut(BaseModel):
    id: int
    name: str
    position: int
    bounds: dict[str, int]
    opacity: float
    blend_mode: str
    visible: bool
    status: str
    error: str | None
    parameters: dict[str, Any]
    mesh: MeshFigures | None


class LayerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parameters: dict[str, Any]


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    job_id: str
    kind: str
    status: str
    progress: int
    message: str
    attempts: int
    error: dict[str, Any] | None
    result: dict[str, Any] | None
    project_id: int | None
    layer_id: int | None
    created_at: datetime
    updated_at: datetime


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    read_at: datetime | None
    created_at: datetime
