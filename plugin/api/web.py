"""The HTTP face of the API: CORS, Host check, banner, body parsing (§A.2, §A.3).

Turns an :class:`HttpRequest` into a request envelope for the dispatcher and the
reply into an :class:`HttpResponse` with exactly the original's headers. No Qt and
no Anki here; the entry point supplies ``run_request`` which runs the envelope.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import jsonschema

from ..config import Settings
from ..http.parser import HttpRequest
from ..http.server import HttpResponse, Respond
from .context import Caller
from .dispatch import PERMISSION_ACTION, Reply
from .effects import Effect
from .json_body import LARGE_BODY, parse_body
from .log import ApiLog
from .registry import HIDDEN, REGISTRY
from .reply_json import EncodedReply, plain_json
from .security import (
    OriginDecision,
    decide_origin,
    effect_refusal,
    host_refusal,
    is_anki_page_request,
    request_effects,
)

ENVELOPE_SCHEMA = {
    "type": "object",
    "properties": {
        "action": {"type": "string", "minLength": 1},
        "version": {"type": "integer"},
        "params": {"type": "object"},
    },
    "required": ["action"],
}
# The class jsonschema.validate itself picks for this schema (its latest draft): the
# error texts are the original's, which calls jsonschema.validate(body, schema).
_envelope_validator = jsonschema.validators.validator_for(ENVELOPE_SCHEMA)(ENVELOPE_SCHEMA)
# jsonschema's full text pretty-prints the offending value, ~1 s per MiB of JSON in
# pure Python; larger bodies (decoded on the main thread up to 1 MiB) get its first line.
FULL_ERROR_MAX_BODY = 64 * 1024

# Runs a function on a worker thread, then calls back on the main thread with
# (value, error).
Offload = Callable[[Callable[[], Any], Callable[[Any, BaseException | None], None]], None]
RunRequest = Callable[[dict[str, Any], Caller, Callable[[Reply], None]], None]


@dataclass
class RequestRecord:
    """One answered request, for the status dialog."""

    when: float
    origin: str | None
    action: str
    duration_ms: float
    error: str | None
    status: int


def json_headers(cors_origin: str, length: int) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/json"),
        ("Access-Control-Allow-Origin", cors_origin),
        ("Access-Control-Allow-Headers", "*"),
        ("Content-Length", str(length)),
    ]


def json_response(cors_origin: str, payload: Any, status: int = 200) -> HttpResponse:
    body = json.dumps(payload, default=plain_json).encode("ascii")
    return HttpResponse(status, json_headers(cors_origin, len(body)), body)


def forbidden_response(cors_origin: str) -> HttpResponse:
    # The original's 403 has no Content-Type and no Content-Length (§A.2).
    return HttpResponse(
        403,
        [("Access-Control-Allow-Origin", cors_origin), ("Access-Control-Allow-Headers", "*")],
    )


def preflight_response(cors_origin: str, private_network: bool) -> HttpResponse:
    headers = json_headers(cors_origin, 0)
    if private_network:
        headers.append(("Access-Control-Allow-Private-Network", "true"))
    return HttpResponse(200, headers)


def parse_envelope(body: bytes | bytearray) -> dict[str, Any]:
    """Decode and validate the body; raises with the original's error texts.

    A schema error's text is jsonschema's complete ``str(error)``, as the original
    answers it: the message, then ``Failed validating …`` with the schema and
    ``On instance …`` with the value (§A.3).
    """
    data = parse_body(body)
    error = jsonschema.exceptions.best_match(_envelope_validator.iter_errors(data))
    if error is not None:
        raise ValueError(str(error) if len(body) <= FULL_ERROR_MAX_BODY else error.message)
    assert isinstance(data, dict)
    return data


def _effect_of(name: str) -> Effect | None:
    found = REGISTRY.get(name) or HIDDEN.get(name)
    return found.effect if found is not None else None


class WebApp:
    def __init__(
        self,
        get_settings: Callable[[], Settings],
        run_request: RunRequest,
        api_log: ApiLog | None = None,
        history_size: int = 50,
        clock: Callable[[], float] = time.monotonic,
        offload: Offload | None = None,
        anki_ports: Callable[[], Collection[int] | None] = tuple,
    ) -> None:
        self.offload = offload
        # The port(s) of Anki's own media server, whose pages (card templates) may
        # only read; inside Anki the entry point asks mw.mediaServer.
        self.anki_ports = anki_ports
        self.get_settings = get_settings
        self.run_request = run_request
        self.api_log = api_log
        self.recent: deque[RequestRecord] = deque(maxlen=history_size)
        self.clock = clock

    def protocol_error(self, status: int, message: str) -> HttpResponse:
        return json_response("http://localhost", {"result": None, "error": message}, status)

    def handle(self, request: HttpRequest, respond: Respond) -> None:
        settings = self.get_settings()
        origin = request.headers.get("origin")
        refusal = host_refusal(settings, request.headers.get("host"))
        if refusal is not None:
            self._record(origin, "", 0.0, refusal, 403)
            respond(json_response("http://localhost", {"result": None, "error": refusal}, 403))
            return
        decision = decide_origin(settings, origin)
        if request.method == "OPTIONS":
            private = request.headers.get("access-control-request-private-network") == "true"
            respond(preflight_response(decision.cors_origin, private))
            return
        body = request.body
        request.body = b""  # the envelope replaces it; let a large upload be freed early
        empty = not body
        if self.offload is not None and len(body) >= LARGE_BODY:
            # Decoding 50 MiB takes a while: do it on a worker thread, come back here.
            # The bytes are handed over, not kept, so they are freed once decoded.
            held = [body]
            del body

            def parsed(envelope: Any, error: BaseException | None) -> None:
                # Called later from Qt's event loop, outside the server's own guard.
                try:
                    self._handle_parsed(
                        request, respond, settings, decision, empty, envelope, error
                    )
                except Exception as exc:
                    respond(self.protocol_error(500, f"internal error: {exc!r}"))

            self.offload(lambda: parse_envelope(held.pop()), parsed)
            return
        try:
            envelope, error = parse_envelope(body), None
        except Exception as exc:
            envelope, error = None, exc
        del body
        self._handle_parsed(request, respond, settings, decision, empty, envelope, error)

    def _handle_parsed(
        self,
        request: HttpRequest,
        respond: Respond,
        settings: Settings,
        decision: OriginDecision,
        empty_body: bool,
        envelope: dict[str, Any] | None,
        exc: BaseException | None,
    ) -> None:
        origin = request.headers.get("origin")
        if exc is not None or envelope is None:
            if not decision.allowed:
                self._record(origin, "", 0.0, "origin not allowed", 403)
                respond(forbidden_response(decision.cors_origin))
            elif empty_body:
                banner = {"apiVersion": f"AnkiConnect v.{settings.apiVersion}"}
                respond(json_response(decision.cors_origin, banner))
            else:
                self._record(origin, "", 0.0, str(exc), 200)
                respond(json_response(decision.cors_origin, {"result": None, "error": str(exc)}))
            return
        action = envelope["action"]
        cors_origin = decision.cors_origin
        if action == PERMISSION_ACTION:
            # The server, not the client, says who is asking (§A.7).
            params = envelope.get("params", {})
            envelope = {
                **envelope,
                "params": {**params, "origin": origin or "", "allowed": decision.allowed},
            }
            if not decision.allowed:
                cors_origin = origin or cors_origin
        elif not decision.allowed:
            self._record(origin, action, 0.0, "origin not allowed", 403)
            respond(forbidden_response(decision.cors_origin))
            return
        anki_page = is_anki_page_request(origin, request.headers.get("referer"), self.anki_ports())
        caller = Caller(origin=origin, remote=request.remote, anki_page=anki_page)
        # Judged on the whole envelope before anything runs, so a `multi` holding one
        # write among reads is refused as a whole rather than half done.
        refusal = (
            effect_refusal(settings, caller, request_effects(envelope, _effect_of))
            if anki_page
            else None
        )
        if refusal is not None:
            self._record(origin, action, 0.0, refusal, 403)
            respond(json_response(cors_origin, {"result": None, "error": refusal}, 403))
            return
        self._run(envelope, caller, cors_origin, respond)

    def _run(
        self, envelope: dict[str, Any], caller: Caller, cors_origin: str, respond: Respond
    ) -> None:
        started = self.clock()
        if self.api_log is not None:
            self.api_log.write("request", envelope)

        def done(reply: Reply | EncodedReply) -> None:
            if isinstance(reply, EncodedReply):
                # encoded (and logged) where it was computed, on a worker
                encoded = reply
                error: Any = encoded.error
            else:
                encoded = None
                error = reply.get("error") if isinstance(reply, dict) and "error" in reply else None
            if self.api_log is not None and not (encoded is not None and encoded.logged):
                self.api_log.write("reply", reply)
            self._record(
                caller.origin,
                str(envelope.get("action")),
                (self.clock() - started) * 1000,
                error if isinstance(error, str) else None,
                200,
            )
            if encoded is not None and encoded.body is not None:
                response = HttpResponse(
                    200, json_headers(cors_origin, encoded.length), encoded.body
                )
            elif encoded is not None:
                response = json_response(
                    cors_origin, {"result": None, "error": encoded.encode_error}
                )
            else:
                try:
                    response = json_response(cors_origin, reply)
                # RecursionError: a result nested too deeply for json.dumps must still
                # be answered, not escape into the server loop.
                except (TypeError, ValueError, RecursionError) as exc:
                    response = json_response(cors_origin, {"result": None, "error": str(exc)})
            respond(response)

        self.run_request(envelope, caller, done)

    def _record(
        self, origin: str | None, action: str, duration_ms: float, error: str | None, status: int
    ) -> None:
        self.recent.append(RequestRecord(time.time(), origin, action, duration_ms, error, status))
