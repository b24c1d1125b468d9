"""The PeerJS server protocol, frame by frame (see shared/reference/peerjs-protocol.md).

Client frames are parsed once and checked here; the consumer only routes what comes out.
Everything a client sends is untrusted: a bad frame becomes a ``FrameError`` whose message
is shown to the client in an ``ERROR`` frame.
"""

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from signaling.ownership import is_peer_id, route_key
from signaling.presence import Watch

OPEN = "OPEN"
ERROR = "ERROR"
ID_TAKEN = "ID-TAKEN"
HEARTBEAT = "HEARTBEAT"
OFFER = "OFFER"
ANSWER = "ANSWER"
CANDIDATE = "CANDIDATE"
LEAVE = "LEAVE"
EXPIRE = "EXPIRE"
# Peerwall's extension: the handles whose presence a client wants (see signaling.presence).
WATCH = "WATCH"
# Peerwall's extension: which devices of a handle are connected (answered by LOCATED), so that
# a friend request reaches someone who connects as ``handle-device`` (see consumer.locate).
LOCATE = "LOCATE"
LOCATED = "LOCATED"

# Frames that carry a WebRTC negotiation to another peer; the recipient's PeerJS client
# routes them by payload.connectionId, so that must be present and sane.
NEGOTIATION_TYPES = frozenset({OFFER, ANSWER, CANDIDATE})
# Frames that are relayed only if the recipient is connected now, and never answered by EXPIRE.
NOTICE_TYPES = frozenset({LEAVE, EXPIRE})
CLIENT_TYPES = NEGOTIATION_TYPES | NOTICE_TYPES | {HEARTBEAT, WATCH, LOCATE}
MAX_WATCHED = 1000

MAX_CONNECTION_ID_LENGTH = 128
# A serialization is a name the recipient's client looks up in its serializers (see _check_offer).
SERIALIZATION_RE = re.compile(r"\A[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
# Names every JavaScript object has: the lookup would find a function that is no serializer.
OBJECT_PROTOTYPE_NAMES = frozenset(
    {"constructor", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toLocaleString", "toString", "valueOf"}
)
# How deeply a payload's objects and arrays may nest. Far below Python's recursion limit, so a
# payload that json.loads accepted can always be re-encoded by json.dumps in relay_text.
MAX_PAYLOAD_DEPTH = 100


class FrameError(ValueError):
    """A client frame we refuse; ``str(error)`` is meant for the client."""


@dataclass(slots=True, frozen=True)
class ClientFrame:
    type: str
    dst: str | None = None
    payload: Any = None


def _encoded_size(text: str, limit: int) -> int:
    # A str of n characters encodes to at most 4n bytes, so short frames skip the encoding.
    if len(text) * 4 <= limit:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _not_json(constant: str) -> float:
    # Python's json accepts NaN and Infinity, but they are not JSON: the recipient's
    # JSON.parse would drop the relayed frame.
    raise ValueError(f"{constant} is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 would be relayed as Infinity
        raise ValueError(f"{text[:32]} does not fit a double")
    return value


def _nests_deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_client_frame(text: object, max_bytes: int) -> ClientFrame:
    if not isinstance(text, str):
        raise FrameError("Binary frames are not part of the protocol; send JSON text.")
    size = _encoded_size(text, max_bytes)
    if size > max_bytes:
        raise FrameError(f"Frame too large: {size} bytes; the limit is {max_bytes}.")
    try:
        message = json.loads(text, parse_constant=_not_json, parse_float=_finite_float)
    except (ValueError, RecursionError):
        raise FrameError("Malformed frame: not valid JSON.") from None
    if not isinstance(message, dict):
        raise FrameError("Malformed frame: expected a JSON object.")
    kind = message.get("type")
    if not isinstance(kind, str):
        raise FrameError("Malformed frame: 'type' is missing.")
    if kind not in CLIENT_TYPES:
        raise FrameError(f"Unknown frame type {kind[:32]!r}.")
    if kind == HEARTBEAT:
        return ClientFrame(HEARTBEAT)
    if kind == WATCH:
        return ClientFrame(WATCH, payload=_watch_list(message.get("payload")))
    if kind == LOCATE:
        payload = message.get("payload")
        handle = payload.get("handle") if isinstance(payload, dict) else None
        if not isinstance(handle, str) or not is_peer_id(handle) or "-" in handle:
            raise FrameError("LOCATE frame lacks 'payload.handle', a handle.")
        return ClientFrame(LOCATE, payload=route_key(handle))

    dst = message.get("dst")
    payload = message.get("payload")
    if kind == LEAVE and dst is None:
        return ClientFrame(LEAVE)  # the legacy "I am leaving"
    if not is_peer_id(dst):
        raise FrameError(f"{kind} frame lacks a valid 'dst' peer id.")
    if kind in NEGOTIATION_TYPES:
        if not isinstance(payload, dict):
            raise FrameError(f"{kind} frame lacks an object 'payload'.")
        connection_id = payload.get("connectionId")
        if not isinstance(connection_id, str) or not 0 < len(connection_id) <= MAX_CONNECTION_ID_LENGTH:
            raise FrameError(f"{kind} frame lacks a valid 'payload.connectionId'.")
        if kind == OFFER:
            _check_offer(payload)
    if _nests_deeper_than(payload, MAX_PAYLOAD_DEPTH):
        raise FrameError(f"{kind} frame's payload nests deeper than {MAX_PAYLOAD_DEPTH} levels.")
    return ClientFrame(kind, dst, payload)


def _check_offer(payload: dict) -> None:
    """A data OFFER must name its serialization as a plain identifier.

    The client builds the connection with ``serializers[payload.serialization]``. Which names it
    has is the apps' business (peerjs 1.5's ``MsgPackPeer`` adds "MsgPack", ``Peer({serializers})``
    any other), so every plain name is relayed; what cannot be a registered serializer is not:
    ``__proto__``, ``constructor`` and the like would hand the recipient's page an object's own
    functions, and anything that is no identifier is no serializer's name.
    """
    if payload.get("type") != "data":
        return
    name = payload.get("serialization")
    if not isinstance(name, str) or not SERIALIZATION_RE.match(name) or name in OBJECT_PROTOTYPE_NAMES:
        raise FrameError(
            "OFFER frame's 'payload.serialization' must be a serializer's name: "
            "a letter, then up to 63 letters, digits, '_' or '-'."
        )


def _watch_list(payload: object) -> Watch:
    if not isinstance(payload, dict) or not isinstance(payload.get("handles"), list):
        raise FrameError("WATCH frame lacks 'payload.handles', a list of peer ids.")
    handles = payload["handles"]
    if len(handles) > MAX_WATCHED:
        raise FrameError(f"WATCH frame names {len(handles)} handles; the limit is {MAX_WATCHED}.")
    if not all(is_peer_id(h) for h in handles):
        raise FrameError("WATCH frame names something that is not a peer id.")
    # Reverse watch (see signaling.presence): absent means false, anything but a boolean is refused.
    watchers = payload.get("watchers", False)
    if not isinstance(watchers, bool):
        raise FrameError("WATCH frame's 'payload.watchers' must be true or false.")
    return Watch(frozenset(route_key(h) for h in handles), watchers)


def relay_text(frame: ClientFrame, src: str) -> str:
    """The frame as the recipient sees it: rebuilt from its four keys, ``src`` stamped by us."""
    message: dict[str, Any] = {"type": frame.type, "src": src, "dst": frame.dst}
    if frame.payload is not None:
        message["payload"] = frame.payload
    # ensure_ascii: a lone surrogate from a "\ud800" escape must not reach the UTF-8 encoder.
    return json.dumps(message, separators=(",", ":"))


def open_text() -> str:
    return '{"type":"OPEN"}'


def error_text(msg: str) -> str:
    return json.dumps({"type": ERROR, "payload": {"msg": msg}}, separators=(",", ":"))


def located_text(handle: str, peer_ids: list[str]) -> str:
    return json.dumps({"type": LOCATED, "payload": {"handle": handle, "ids": peer_ids}}, separators=(",", ":"))


def expire_text(absent: str, to: str) -> str:
    return json.dumps({"type": EXPIRE, "src": absent, "dst": to}, separators=(",", ":"))
