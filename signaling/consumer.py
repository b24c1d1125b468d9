"""The WebSocket at /peerjs: the PeerJS server protocol, with ownership.

Only a logged-in session may attach, and only as its own handle. Every relayed frame carries
the ``src`` we stamp. A bad frame is answered with ``ERROR`` and the connection lives on.
"""

import logging
import time
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from signaling import protocol
from signaling.directory import directory_for, refresh_seconds
from signaling.limits import TokenBucket
from signaling.ownership import may_claim, route_key
from signaling.presence import Notice, presence_text
from signaling.switchboard import handle_group, presence, switchboard

log = logging.getLogger(__name__)

# Close codes in the private range, so a client can tell why it was closed.
CLOSE_REFUSED = 4001
CLOSE_TAKEN_OVER = 4002
CLOSE_LOGGED_OUT = 4003

TAKEN_OVER = "This handle connected again from another tab or device; this connection was taken over."
EXPIRE_REPEAT_SECONDS = 5.0
MAX_EXPIRE_MEMORY = 256


def origin_allowed(headers: list[tuple[bytes, bytes]]) -> bool:
    """Browsers always send Origin on a WebSocket; it must name one of our hosts.

    A client with no Origin is not a browser, so no other site can be riding its cookie.
    """
    for name, value in headers:
        if name == b"origin":
            origin = value.decode("latin-1")
            if "://" not in origin:
                return False
            host = origin.split("://", 1)[1]
            domain, _port = split_domain_port(host)
            allowed = settings.ALLOWED_HOSTS
            if settings.DEBUG and not allowed:
                allowed = [".localhost", "127.0.0.1", "[::1]"]
            return bool(domain) and validate_host(domain, allowed)
    return True


class PeerConsumer(AsyncWebsocketConsumer):
    peer_id: str = ""
    key: str = ""
    attached = False

    async def connect(self):
        # Accept first, then refuse with ERROR: the PeerJS client reports an ERROR frame's
        # message to the app, while a refused handshake only looks like a network failure.
        await self.accept()
        refusal = self._refusal()
        if refusal:
            await self.refuse(refusal)
            return
        self.session_key = self.scope["session"].session_key
        self.bucket = TokenBucket(settings.SIGNALING_FRAMES_PER_SECOND, settings.SIGNALING_FRAME_BURST)
        self.expired: dict[str, float] = {}
        self.last_limit_error = 0.0

        self.directory = directory_for(self.channel_layer, presence)
        self.refreshed = time.monotonic()

        displaced = switchboard.attach(self.key, self)
        self.attached = True
        if displaced is not None:
            await displaced.displace(TAKEN_OVER)
        previous = await self.directory.claim(self.key, self.channel_name, self.peer_id)
        if previous is not None:
            # The handle was connected to another server process: that connection closes.
            await self.channel_layer.send(previous, {"type": "peer.takeover", "channel": self.channel_name})
        # Log-out and account deletion reach every connection of the handle through this group.
        await self.channel_layer.group_add(handle_group(self.key), self.channel_name)
        await self.send(text_data=protocol.open_text())

    def _refusal(self) -> str | None:
        if not origin_allowed(self.scope.get("headers", [])):
            return "This page's origin may not use the Peerwall broker."
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        peer_id = (query.get("id") or [""])[0]
        token = (query.get("token") or [""])[0]
        key = (query.get("key") or [""])[0]
        if not (peer_id and token and key):
            return "No id, token, or key supplied to websocket server"
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return "Log in to Peerwall first: the broker only serves logged-in accounts."
        handle = user.get_username()
        if not may_claim(handle, peer_id):
            return f"This session may connect only as @{handle}, not as {peer_id[:64]!r}."
        self.peer_id = peer_id
        self.key = route_key(peer_id)
        return None

    async def refuse(self, reason: str) -> None:
        await self.send(text_data=protocol.error_text(reason))
        await self.close(code=CLOSE_REFUSED)

    async def disconnect(self, code):
        if self.attached:
            await self._detach()

    async def _detach(self) -> None:
        self.attached = False
        switchboard.detach(self.key, self)
        await self._tell(await self.directory.leave(self.key, self.channel_name, self.peer_id))
        await self.channel_layer.group_discard(handle_group(self.key), self.channel_name)

    async def _tell(self, notices: list[Notice]) -> None:
        for to_key, about, online in notices:
            await self._send_to(to_key, presence_text(about, online))

    async def _send_to(self, key: str, text: str) -> bool:
        """Delivers ``text`` to the connection holding ``key``, in this process or another."""
        target = switchboard.lookup(key)
        if target is not None:
            return await target.deliver(text)
        if self.directory.shared:
            location = await self.directory.locate(key)
            if location is not None:
                await self.channel_layer.send(location.channel, {"type": "peer.frame", "text": text})
                return True
        return False

    # --- frames from the client -------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if not self.attached:
            return
        if not self.bucket.take():
            await self._limit_error()
            return
        now = time.monotonic()
        if now - self.refreshed > refresh_seconds():
            self.refreshed = now
            await self.directory.refresh(self.key, self.channel_name, self.peer_id)
        try:
            frame = protocol.parse_client_frame(
                text_data if text_data is not None else bytes_data, settings.SIGNALING_MAX_FRAME_BYTES
            )
        except protocol.FrameError as error:
            await self.send(text_data=protocol.error_text(str(error)))
            return
        if frame.type == protocol.HEARTBEAT:
            return  # daphne's WebSocket pings find dead connections; nothing to do here
        if frame.type == protocol.WATCH:
            await self._tell(await self.directory.watch(self.key, self.peer_id, frame.payload))
            return
        if frame.dst is None:  # a legacy LEAVE without dst: the client is going away
            await self.close()
            return
        await self._route(frame, frame.dst)

    async def _route(self, frame: protocol.ClientFrame, dst: str) -> None:
        dst_key = route_key(dst)
        if await self._send_to(dst_key, protocol.relay_text(frame, self.peer_id)):
            return
        if frame.type in protocol.NOTICE_TYPES:
            return
        connection_id = frame.payload.get("connectionId", "") if isinstance(frame.payload, dict) else ""
        await self._expire(dst, f"{dst_key} {connection_id}")

    async def _expire(self, dst: str, attempt: str) -> None:
        """Tells the sender its peer is not here, once per connection attempt.

        An offer is followed by a burst of candidates with the same connection id; one EXPIRE is
        enough for the client to report ``peer-unavailable``. A new attempt (a new id) gets its
        own answer at once, so a client that retries soon is never left waiting.
        """
        now = time.monotonic()
        if self.expired.get(attempt, 0.0) > now:
            return
        if len(self.expired) >= MAX_EXPIRE_MEMORY:
            self.expired = {k: t for k, t in self.expired.items() if t > now}
        self.expired[attempt] = now + EXPIRE_REPEAT_SECONDS
        await self.send(text_data=protocol.expire_text(dst, self.peer_id))

    async def _limit_error(self) -> None:
        now = time.monotonic()
        if now - self.last_limit_error >= 1.0:  # a flood must not be answered by a flood
            self.last_limit_error = now
            await self.send(text_data=protocol.error_text("Too many frames: slow down; frames are being dropped."))

    # --- the Endpoint interface, used by other consumers of this process ---------------

    async def deliver(self, text: str) -> bool:
        if not self.attached:
            return False
        try:
            await self.send(text_data=text)
        except Exception:  # the socket is going away under us; the sender hears EXPIRE
            log.info("relay to a closing connection failed", exc_info=True)
            return False
        return True

    async def displace(self, reason: str, code: int = CLOSE_TAKEN_OVER) -> None:
        if not self.attached:
            return
        await self._detach()
        await self.send(text_data=protocol.error_text(reason))
        await self.close(code=code)

    # --- channel layer events ----------------------------------------------------------

    async def peer_frame(self, event):
        """A frame for my client relayed from a connection in another server process."""
        if self.attached and isinstance(event.get("text"), str):
            await self.send(text_data=event["text"])

    async def peer_takeover(self, event):
        if event.get("channel") != self.channel_name:
            await self.displace(TAKEN_OVER)

    async def peer_logout(self, event):
        """The account logged out (this session, or every session) or was deleted."""
        session_key = event.get("session_key")
        if session_key and session_key != self.session_key:
            return
        await self.displace(event.get("reason") or "You have been logged out.", CLOSE_LOGGED_OUT)
