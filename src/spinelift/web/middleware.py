"""Pure ASGI middleware: request ids, the body size limit, a JSON access log line.

- ``X-Request-ID``: taken from the request (if sane) or made up; echoed on the answer
  and put in the log context (:mod:`spinelift.jobs.jsonlog`), then passed to jobs.
- Body limit: a ``Content-Length`` over the limit is refused with 413 before reading;
  a body without one is counted while it streams and cut off at the limit.
- Anything unexpected is logged with the request id and answered 500 ``INTERNAL_ERROR``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spinelift.errors import RequestTooLargeError
from spinelift.jobs.jsonlog import request_id_var

log = logging.getLogger("spinelift.web.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLargeError(Exception):
    pass


class RequestContext:
    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500, "sent": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > self.max_body:
                await self._too_large(send_with_id, request_id)
                return
            try:
                await self.app(scope, self._counting(receive), send_with_id)
            except BodyTooLargeError:
                if not status["sent"]:
                    await self._too_large(send_with_id, request_id)
            except Exception:  # never a traceback to the client: log it, answer 500
                log.exception("unhandled error", extra={"path": scope.get("path", "")})
                if not status["sent"]:
                    await _send_error(
                        send_with_id,
                        500,
                        "INTERNAL_ERROR",
                        f"internal error; quote request id {request_id}",
                        {"request_id": request_id},
                    )
        finally:
            log.info(
                "request",
                extra={
                    "method": scope.get("method", ""),
                    "path": scope.get("path", ""),
                    "status": int(status["code"]),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLargeError
            return message

        return counted

    async def _too_large(self, send: Send, request_id: str) -> None:
        await _send_error(
            send,
            413,
            RequestTooLargeError.code,
            f"the request body is larger than {self.max_body} bytes",
            {"max_request_size": self.max_body, "request_id": request_id},
        )


async def _send_error(
    send: Send, status: int, code: str, message: str, details: dict[str, Any]
) -> None:
    body = {"error": {"code": code, "message": message, "details": details}}
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
