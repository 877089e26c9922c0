"""Pure ASGI middleware: request ids, the body size limit, a 500 for anything unexpected.

Contract of :class:`RequestContext`:

- ``X-Request-ID``: taken from the request (if sane) or made up; echoed on the answer,
  put in the log context (:data:`spinelift.logs.request_id_var`) and in
  ``scope["state"]["request_id"]`` (see :mod:`spinelift.http.deps`), then passed to jobs.
- Body limit: a ``Content-Length`` over ``max_body`` is refused with 413
  ``REQUEST_TOO_LARGE`` before reading; a body without one is counted while it streams
  and cut off at the limit.
- Anything unexpected is logged (to ``logger``) and answered 500 ``INTERNAL_ERROR``
  carrying the request id, unless the answer has already started.
- Hooks (optional): ``on_start()`` before the app is called, ``on_finish(scope, status,
  seconds)`` after every HTTP request, whatever happened (metrics, an access log).
- WebSockets get a request id only when ``websockets`` is true; other scopes pass through.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spinelift.errors import RequestTooLargeError
from spinelift.logs import request_id_var

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

OnStart = Callable[[], None]
OnFinish = Callable[[Scope, int, float], None]


class BodyTooLargeError(RequestTooLargeError):
    """The streamed body went over the limit (raised from ``receive``; whatever the app
    answers then is replaced by the 413)."""


class RequestContext:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        websockets: bool = False,
        logger: logging.Logger | None = None,
        on_start: OnStart | None = None,
        on_finish: OnFinish | None = None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.scopes = ("http", "websocket") if websockets else ("http",)
        self.log = logger or logging.getLogger(__name__)
        self.on_start = on_start
        self.on_finish = on_finish

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in self.scopes:
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
        over = {"limit": False}

        async def send_with_id(message: Message) -> None:
            if over["limit"]:
                # the body went over the limit: whatever the app answers (FastAPI turns a
                # failed form read into 400) is replaced by our 413, sent once
                if message["type"] == "http.response.start" and not status["sent"]:
                    over["limit"] = False
                    await self._too_large(send_with_id, request_id)
                    over["limit"] = True
                return
            if message["type"] == "http.response.start":
                status["code"], status["sent"] = message["status"], True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        if self.on_start is not None:
            self.on_start()
        try:
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > self.max_body:
                await self._too_large(send_with_id, request_id)
                return
            try:
                await self.app(scope, self._counting(receive, over), send_with_id)
            except BodyTooLargeError:
                if not status["sent"]:
                    over["limit"] = False
                    await self._too_large(send_with_id, request_id)
            except Exception:  # never a traceback to the client: log it, answer 500
                self.log.exception("unhandled error", extra={"path": scope.get("path", "")})
                if not status["sent"]:
                    await send_error(
                        send_with_id,
                        500,
                        "INTERNAL_ERROR",
                        f"internal error; quote request id {request_id}",
                        {"request_id": request_id},
                    )
        finally:
            if self.on_finish is not None:
                self.on_finish(scope, int(status["code"]), time.perf_counter() - started)

    def _counting(self, receive: Receive, over: dict[str, bool]) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    over["limit"] = True
                    raise BodyTooLargeError(
                        f"the request body is larger than {self.max_body} bytes",
                        details={"max_request_size": self.max_body},
                    )
            return message

        return counted

    async def _too_large(self, send: Send, request_id: str) -> None:
        await send_error(
            send,
            413,
            RequestTooLargeError.code,
            f"the request body is larger than {self.max_body} bytes",
            {"max_request_size": self.max_body, "request_id": request_id},
        )


async def send_error(
    send: Send, status: int, code: str, message: str, details: dict[str, Any]
) -> None:
    """Answer seed 004's error document straight over ASGI (``Connection: close``)."""
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
