"""A webhook delivery at the door, sans I/O: accepted, answered at once, or refused.

`accept(headers, body, secret)` makes every check a delivery must pass before any
work is queued, in this order, each before the next:

1. a chunked body that reached the size cap is refused (413; a declared length over
   the cap never gets here: Flask answers 413 before reading it);
2. `X-Hub-Signature-256` over the raw bytes, in constant time (401; the legacy SHA-1
   header alone is refused too; `verify`, below);
3. `X-GitHub-Event` and `X-GitHub-Delivery` (400);
4. the payload: JSON, or form-encoded with a `payload` field (415 for other types),
   an object, at most MAX_JSON_DEPTH levels deep (400, never a 500);
5. `ping` is answered `pong` and events nobody handles `ignored` (200, no work);
6. a handled event must carry its object (`pull_request`, `issue`, ...; 400).

What passes is a `Delivery`. The Flask app (`server.py`) is a thin shell around this:
it reads the request, calls `accept`, then claims the delivery and queues or runs
what its route (`routes.ROUTES`) names.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs

from quarterdeck.webhook.deliveries import valid_delivery_id
from quarterdeck.webhook.handlers.context import Delivery

__all__ = ["MAX_JSON_DEPTH", "SIGNATURE_HEADER", "Refusal", "Reply", "accept", "sign", "verify"]

# GitHub's webhook signature: HMAC-SHA256 of the raw body keyed by the webhook secret,
# sent as `sha256=<hex>`. The legacy SHA-1 header is never accepted on its own.
SIGNATURE_HEADER = "X-Hub-Signature-256"
_SIGNATURE_PREFIX = "sha256="

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_TOO_DEEP = "the JSON is nested too deeply to be a GitHub delivery"
# GitHub's payloads nest about 6 levels; far deeper data could still overflow the
# stack later (RQ pickles the payload), so it is refused at the door.
MAX_JSON_DEPTH = 64


class Headers(Protocol):
    """A request's headers as `accept` reads them: a plain dict, or werkzeug's."""

    def get(self, key: str, /) -> str | None:
        """The value of header `key`, or None."""

    def items(self) -> Iterable[tuple[str, str]]:
        """Every (name, value)."""


@dataclass(frozen=True)
class Refusal:
    """A 4xx answer and what is wrong, for the sender to read."""

    status: int
    message: str


@dataclass(frozen=True)
class Reply:
    """A delivery answered at once, with no work queued (ping, events not handled)."""

    status: int
    body: dict[str, Any] = field(default_factory=dict)


def accept(
    headers: Headers,
    body: bytes,
    secret: bytes,
    *,
    handled: Mapping[str, str],
    max_body_bytes: int,
    length_declared: bool = True,
    decode: Callable[[bytes], Any] = json.loads,
) -> Delivery | Reply | Refusal:
    """Check one delivery (see the module docstring for the order).

    `handled` maps each routed event to the object it must carry
    (`routes.required_objects`). `decode` parses a JSON body; it may return None or
    raise ValueError for invalid JSON.
    """
    if not length_declared and len(body) >= max_body_bytes:
        # A chunked body has no Content-Length to refuse up front; Werkzeug stops
        # reading at the cap and hands over the truncated bytes, so refuse them here.
        return Refusal(413, f"the body is larger than {max_body_bytes} bytes")
    if not verify(secret, body, _header(headers, SIGNATURE_HEADER)):
        if _header(headers, "X-Hub-Signature"):
            return Refusal(401, "X-Hub-Signature-256 is required; SHA-1 signatures are refused")
        return Refusal(401, "missing or invalid X-Hub-Signature-256")
    event = _header(headers, "X-GitHub-Event") or ""
    delivery_id = _header(headers, "X-GitHub-Delivery")
    if not event or not event.replace("_", "").isalnum():
        return Refusal(400, "missing or malformed X-GitHub-Event header")
    if not valid_delivery_id(delivery_id):
        return Refusal(400, "missing or malformed X-GitHub-Delivery header")
    read = _payload(_header(headers, "Content-Type") or "", body, decode)
    if isinstance(read, Refusal):
        return read
    payload, source = read
    if event == "ping":
        return Reply(200, {"status": "pong", "zen": str(payload.get("zen", ""))[:200]})
    if event not in handled:
        return Reply(200, {"status": "ignored", "event": event})
    needed = handled[event]
    if needed and not isinstance(payload.get(needed), dict):
        return Refusal(400, f"a {event} delivery needs a `{needed}` object")
    return Delivery(str(delivery_id), event, payload, source)


def sign(secret: bytes, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub would send for `body`."""
    return _SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether `header` is the valid SHA-256 signature of `body`, in constant time."""
    if not secret:
        raise ValueError("a webhook secret is required; refusing to skip the signature check")
    if not header or not header.startswith(_SIGNATURE_PREFIX):
        return False
    expected = sign(secret, body)
    # Compare as bytes: compare_digest rejects non-ASCII str, and a header is attacker input.
    return hmac.compare_digest(expected.encode(), header.strip().encode("utf-8", "replace"))


def _header(headers: Headers, name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict is case-sensitive; HTTP headers are not
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value


def _payload(
    content_type: str, body: bytes, decode: Callable[[bytes], Any]
) -> tuple[dict[str, Any], bytes] | Refusal:
    """The JSON object a delivery carries and the JSON text it was read from, or the
    refusal saying what is wrong."""
    mimetype, _, params = content_type.partition(";")
    mimetype = mimetype.strip().lower()
    try:
        if mimetype == _FORM:
            if params.strip():
                # The router compares the whole header; parameters would reach its JSON branch.
                return Refusal(415, "send application/x-www-form-urlencoded without parameters")
            fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            if "payload" not in fields:
                return Refusal(400, "a form-encoded delivery needs a `payload` field")
            source = fields["payload"][0].encode()
            payload = json.loads(source)
        elif mimetype == _JSON:
            source = body
            payload = decode(body)
            if payload is None:
                return Refusal(400, "the body is not valid JSON")
        else:
            return Refusal(415, "deliveries must be application/json (or form-encoded)")
    except ValueError:
        return Refusal(400, "the body is not valid JSON")
    except RecursionError:  # `[[[[…` thousands deep: json gives up, not ValueError
        return Refusal(400, _TOO_DEEP)
    if not isinstance(payload, dict):
        return Refusal(400, "the payload must be a JSON object")
    if _too_deep(payload, MAX_JSON_DEPTH):
        return Refusal(400, _TOO_DEEP)
    return payload, source


def _too_deep(value: Any, limit: int) -> bool:
    """Whether JSON data nests more than `limit` levels, the data itself being level 1
    and each value one level below its object or array (iterative: no recursion).

    One level at a time, keeping only the objects and arrays: a delivery's values are
    mostly strings and numbers, which are looked at once and never queued (this runs on
    every delivery, before the answer)."""
    level = [value] if isinstance(value, (dict, list)) else []
    for _ in range(limit - 1):
        inner: list[Any] = []
        for item in level:
            children = item.values() if isinstance(item, dict) else item
            # A tuple, not `dict | list`: Python 3.11 checks a union a third slower.
            inner += [child for child in children if isinstance(child, (dict, list))]
        if not inner:
            return False
        level = inner
    # Objects and arrays at level `limit`: too deep if any holds a value.
    return any(level)
