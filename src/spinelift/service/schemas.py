"""Request and response bodies, as pydantic models (they make the OpenAPI schema)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from spinelift.core.settings import MeshSettings, parameter_ranges


def _parameters_model() -> type[BaseModel]:
    """MeshSettings' fields as a pydantic model with the same defaults and ranges."""
    ranges = parameter_ranges()
    definitions: dict[str, Any] = {}
    for f in fields(MeshSettings):
        kind = type(f.default)
        if f.name in ranges:
            low, high = ranges[f.name]
            definitions[f.name] = (kind, Field(f.default, ge=low, le=high))
        else:
            definitions[f.name] = (kind, Field(f.default))
    return create_model(
        "MeshParameters",
        __config__=ConfigDict(extra="forbid", use_enum_values=True),
        **definitions,
    )


MeshParameters = _parameters_model()
"""Seed 004's ``parameters`` (and SpineLift's extra ones); see ``spinelift.core.settings``."""


class GenerateJson(BaseModel):
    """``POST /api/v1/mesh/generate`` as JSON (an upload is multipart instead)."""

    model_config = ConfigDict(extra="forbid")

    image_url: str = Field(..., description="http(s) URL of the image; SSRF-checked")
    parameters: MeshParameters | None = None  # type: ignore[valid-type]
    callback_url: str | None = Field(None, description="receives signed progress POSTs")
    job_id: str | None = Field(None, description="your id; sending it again is the same job")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(BaseModel):
    error: ErrorBody


class Accepted(BaseModel):
    job_id: str
    status: str
    estimated_time: float = Field(..., description="seconds until done, estimated")
    cached: bool = False
    status_url: str


class JobStatusResponse(BaseModel):
    job_id: str
    kind: str
    status: str = Field(..., description="queued | processing | completed | failed")
    progress: int
    message: str
    error: ErrorBody | None = None
    result_url: str | None = None
    cached: bool = False
    attempts: int
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None


class LayerBounds(BaseModel):
    x: int
    y: int
    width: int
    height: int


class LayerMetadata(BaseModel):
    visible: bool
    has_mask: bool


class LayerOut(BaseModel):
    name: str
    image_data: str = Field(..., description="base64 PNG of the layer's trimmed pixels")
    position: int = Field(..., description="draw order, 0 = bottom-most")
    bounds: LayerBounds
    opacity: float
    blend_mode: str
    metadata: LayerMetadata


class LayersResponse(BaseModel):
    width: int
    height: int
    layers: list[LayerOut]
    skipped: list[dict[str, str]] = Field(default_factory=list)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 409, 413, 422, 429, 500, 503)
}
