"""Parsing ``POST /api/v1/mesh/generate``: JSON (``image_url``) or multipart (upload)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException, Request
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from spinelift.errors import InvalidParametersError
from spinelift.http.errors import field_errors
from spinelift.jobs.mesh.submission import MeshRequest
from spinelift.service.schemas import GenerateJson, MeshParameters

FORM_FIELDS = ("image", "image_url", "parameters", "callback_url", "job_id")


async def read_generate_request(request: Request, request_id: str, max_size: int) -> MeshRequest:
    """The request as a :class:`MeshRequest`; raises 422/415 for malformed input."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            raw = await request.json()
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise _invalid({"body": f"not valid JSON: {exc}"}) from exc
        body = GenerateJson.model_validate(raw)
        return MeshRequest(
            image_url=body.image_url,
            parameters=_explicit(body.parameters),
            callback_url=body.callback_url,
            job_id=body.job_id,
            request_id=request_id,
        )
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form(max_files=1, max_fields=len(FORM_FIELDS), max_part_size=max_size)
        unknown = sorted(set(form.keys()) - set(FORM_FIELDS))
        if unknown:
            raise _invalid(dict.fromkeys(unknown, "unknown field"))
        upload = form.get("image")
        image = await upload.read() if isinstance(upload, UploadFile) else None
        return MeshRequest(
            image=image,
            image_url=_text(form.get("image_url")),
            parameters=_parameters(_text(form.get("parameters"))),
            callback_url=_text(form.get("callback_url")),
            job_id=_text(form.get("job_id")),
            request_id=request_id,
        )
    raise HTTPException(415, "send application/json (image_url) or multipart/form-data (image)")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _parameters(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _invalid({"parameters": f"not valid JSON: {exc}"}) from exc
    try:
        return _explicit(MeshParameters.model_validate(raw))
    except ValidationError as exc:
        fields = {f"parameters.{k}": v for k, v in field_errors(list(exc.errors())).items()}
        raise _invalid(fields) from exc


def _explicit(parameters: Any) -> dict[str, Any]:
    if parameters is None:
        return {}
    values: dict[str, Any] = parameters.model_dump(exclude_unset=True)
    return values


def _invalid(fields: dict[str, str]) -> InvalidParametersError:
    return InvalidParametersError("the request is invalid", details={"fields": fields})
