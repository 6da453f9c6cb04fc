"""A local OpenAI-compatible chat completions server for tests.

Tests script what the "model" answers (a queue of replies: text or JSON content, tool calls,
a refusal, an HTTP error, each optionally after a delay) and assert on the request bodies the
server recorded. It speaks the real wire format, so the real `openai` client and the Agents
SDK's `OpenAIChatCompletionsModel` run against it unchanged, streaming included.

    with FakeOpenAIServer([json_reply({"answer": 42})]) as fake:
        client = AsyncOpenAI(api_key="test", base_url=fake.base_url)
        ...
        assert fake.requests[0].body["model"] == "gpt-4o-mini"

The server runs uvicorn in a background thread with its own event loop, so it answers while
the test's own loop is blocked or busy, and a delayed reply never stalls the test's loop.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from planner_shared.settings import OpenAISettings

FinishReason = Literal["stop", "length", "content_filter", "tool_calls"]


@dataclass(frozen=True)
class ToolCall:
    """One function call the fake model makes; `arguments` is sent as a JSON string."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str | None = None

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments))


@dataclass(frozen=True)
class TextReply:
    """An assistant message with text content (malformed JSON included, on purpose)."""

    content: str
    finish_reason: FinishReason = "stop"
    delay: float = 0.0


@dataclass(frozen=True)
class ToolCallsReply:
    """An assistant message that calls tools (and hands off, for the Agents SDK)."""

    calls: tuple[ToolCall, ...]
    content: str | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class RefusalReply:
    """The model declines: `message.refusal` is set and `content` is null."""

    refusal: str
    delay: float = 0.0


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error with the API's error body."""

    status: int
    message: str = "The fake server was told to fail."
    error_type: str = "server_error"
    code: str | None = None
    delay: float = 0.0


FakeReply = TextReply | ToolCallsReply | RefusalReply | ErrorReply


def json_reply(payload: Any, *, delay: float = 0.0) -> TextReply:
    """A reply whose content is `payload` serialised as JSON (a structured-output answer)."""
    return TextReply(content=json.dumps(payload), delay=delay)


def tool_calls_reply(*calls: ToolCall, content: str | None = None) -> ToolCallsReply:
    return ToolCallsReply(calls=tuple(calls), content=content)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.body.get("messages", [])
        return messages


def _count_tokens(text: str | None) -> int:
    # Whitespace words stand in for tokens: tests only need usage to be present and plausible.
    return len(text.split()) if text else 0


def _prompt_tokens(body: Mapping[str, Any]) -> int:
    total = 0
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            total += _count_tokens(content)
        elif isinstance(content, list):
            total += sum(_count_tokens(part.get("text")) for part in content)
    return total


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


class FakeOpenAIServer:
    """OpenAI-compatible `/v1/chat/completions` on a free loopback port, scripted by tests."""

    def __init__(self, replies: Iterable[FakeReply] = (), *, model: str = "fake-model") -> None:
        self._replies: deque[FakeReply] = deque(replies)
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        self._model = model
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # ------------------------------------------------------------------ scripting
    def enqueue(self, *replies: FakeReply) -> None:
        with self._lock:
            self._replies.extend(replies)

    @property
    def pending(self) -> int:
        """Replies scripted but not yet served."""
        with self._lock:
            return len(self._replies)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the fake OpenAI server is not running")
        return f"http://127.0.0.1:{self._port}/v1"

    # ------------------------------------------------------------------ lifecycle
    def settings(
        self, *, model: str = "fake-model", timeout: float = 5.0, retries: int = 0
    ) -> OpenAISettings:
        """A service's OpenAI settings pointed at this server (no `.env` read)."""
        return OpenAISettings(
            _env_file=None,
            OPENAI_API_KEY="test-key",
            OPENAI_BASE_URL=self.base_url,
            OPENAI_MODEL=model,
            OPENAI_TIMEOUT=timeout,
            OPENAI_MAX_RETRIES=retries,
        )

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the fake OpenAI server is already running")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app(),
            # uvicorn's own logging config would rewire the process's uvicorn loggers
            # (levels, handlers, propagation) for every later server in the process.
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            loop="asyncio",
            timeout_graceful_shutdown=1,
        )
        server = uvicorn.Server(config)
        self._server = server
        self._closing.clear()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-openai", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the fake OpenAI server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._closing.set()
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self._port = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ HTTP
    def _app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/chat/completions", self._chat_completions, methods=["POST"]),
                Route("/v1/models", self._models, methods=["GET"]),
            ]
        )

    async def _models(self, request: Request) -> Response:
        return JSONResponse(
            {
                "object": "list",
                "data": [{"id": self._model, "object": "model", "created": 0, "owned_by": "fake"}],
            }
        )

    async def _chat_completions(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            return _error_response(400, "The request body is not JSON.", "invalid_request_error")
        if not isinstance(body, dict):
            return _error_response(
                400, "The request body must be an object.", "invalid_request_error"
            )
        with self._lock:
            self._requests.append(
                RecordedRequest(path=request.url.path, headers=dict(request.headers), body=body)
            )
            reply = self._replies.popleft() if self._replies else None
        if reply is None:
            # 400 rather than 5xx: the client must not retry a test that ran out of script.
            return _error_response(
                400, "The fake OpenAI server has no scripted reply left.", "invalid_request_error"
            )
        await self._wait(reply.delay)
        if isinstance(reply, ErrorReply):
            return _error_response(reply.status, reply.message, reply.error_type, reply.code)
        completion_id = f"chatcmpl-fake{next(self._ids)}"
        model = str(body.get("model") or self._model)
        prompt_tokens = _prompt_tokens(body)
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return StreamingResponse(
                self._stream(reply, completion_id, model, prompt_tokens, include_usage),
                media_type="text/event-stream",
            )
        message, finish_reason, completion_tokens = _message(reply, completion_id)
        return JSONResponse(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": finish_reason,
                    }
                ],
                "usage": _usage(prompt_tokens, completion_tokens),
            }
        )

    async def _wait(self, seconds: float) -> None:
        # Sleep in slices so stopping the server does not wait out a long scripted delay.
        deadline = time.monotonic() + seconds
        while not self._closing.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            await asyncio.sleep(min(remaining, 0.05))

    async def _stream(
        self,
        reply: TextReply | ToolCallsReply | RefusalReply,
        completion_id: str,
        model: str,
        prompt_tokens: int,
        include_usage: bool,
    ) -> AsyncIterator[bytes]:
        created = int(time.time())

        def chunk(choices: list[dict[str, Any]], usage: dict[str, Any] | None = None) -> bytes:
            payload: dict[str, Any] = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": choices,
            }
            if include_usage:
                payload["usage"] = usage
            return f"data: {json.dumps(payload)}\n\n".encode()

        def delta(content: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
            return [{"index": 0, "delta": content, "logprobs": None, "finish_reason": finish}]

        message, finish_reason, completion_tokens = _message(reply, completion_id)
        yield chunk(delta({"role": "assistant", "content": ""}))
        if message.get("refusal"):
            yield chunk(delta({"refusal": message["refusal"]}))
        for piece in _pieces(message.get("content")):
            yield chunk(delta({"content": piece}))
        for index, call in enumerate(message.get("tool_calls") or []):
            yield chunk(
                delta(
                    {
                        "tool_calls": [
                            {
                                "index": index,
                                "id": call["id"],
                                "type": "function",
                                "function": {"name": call["function"]["name"], "arguments": ""},
                            }
                        ]
                    }
                )
            )
            for piece in _pieces(call["function"]["arguments"]):
                yield chunk(
                    delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
                )
        yield chunk(delta({}, finish_reason))
        if include_usage:
            yield chunk([], _usage(prompt_tokens, completion_tokens))
        yield b"data: [DONE]\n\n"


def _pieces(text: str | None, size: int = 16) -> list[str]:
    if not text:
        return []
    return [text[i : i + size] for i in range(0, len(text), size)]


def _message(
    reply: TextReply | ToolCallsReply | RefusalReply, completion_id: str
) -> tuple[dict[str, Any], FinishReason, int]:
    """The assistant message of a reply, its finish reason and its completion tokens."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None,
        "refusal": None,
        "annotations": [],
    }
    if isinstance(reply, TextReply):
        message["content"] = reply.content
        return message, reply.finish_reason, _count_tokens(reply.content)
    if isinstance(reply, RefusalReply):
        message["refusal"] = reply.refusal
        return message, "stop", _count_tokens(reply.refusal)
    message["content"] = reply.content
    message["tool_calls"] = [
        {
            "id": call.id or f"call_{completion_id}_{index}",
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments_json()},
        }
        for index, call in enumerate(reply.calls)
    ]
    tokens = _count_tokens(reply.content) + sum(
        _count_tokens(c.arguments_json()) for c in reply.calls
    )
    return message, "tool_calls", tokens


def _error_response(
    status: int, message: str, error_type: str, code: str | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"message": message, "type": error_type, "param": None, "code": code}},
        status_code=status,
    )
