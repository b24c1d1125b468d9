"""The WebSocket at /peerjs: the PeerJS server protocol, with ownership.

Only a logged-in session may attach, and only as its own handle or one of its devices
(signaling.ownership). Every relayed frame carries the ``src`` we stamp. A bad frame is answered
with ``ERROR`` and the connection lives on.

This is the server's hot path, so the consumer runs its own small loop instead of Channels'
generic one: each frame is read straight from the socket (no asyncio task per message, no
``close_old_connections`` thread hop, since nothing here touches the database after the
connection is authenticated), parsed once, and handed to the other consumer directly when both
sockets live in this process. Channel layer events (frames from other processes, take-over,
log-out) arrive on the process's one inbox (signaling.inbox), which hands each to the consumer
it is addressed to, by Channels' naming convention; a connection has no channel of its own.
"""

import itertools
import logging
from functools import cached_property
from urllib.parse import parse_qs

from channels.consumer import AsyncConsumer
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings

from signaling import limits, protocol
from signaling.directory import Directory, Location, directory_for, refresh_seconds
from signaling.inbox import Inbox, inbox_for
from signaling.limits import StrangerDials, TokenBucket
from signaling.negotiations import Negotiations
from signaling.origin import origin_allowed
from signaling.ownership import DEVICE_RULE, may_claim, owner_of, route_key
from signaling.presence import Notice, Peer, Watch, mutual, presence_text
from signaling.switchboard import addresses, handle_group, presence, switchboard

log = logging.getLogger(__name__)

# Close codes in the private range, so a client can tell why it was closed.
CLOSE_REFUSED = 4001
CLOSE_TAKEN_OVER = 4002
CLOSE_LOGGED_OUT = 4003
CLOSE_FLOODING = 4004
CLOSE_IDLE = 4005

TAKEN_OVER = "This peer id connected again from another tab or device; this connection was taken over."
FLOODING = "Too many frames, for too long: this connection is closed."
TOO_MANY_FRAMES = "Too many frames: slow down; frames are being dropped."
STRANGER_DIALS = (
    "You have dialled too many people who are not your friends in the last minute; "
    "this frame was not relayed. Try again later."
)
NOT_NEGOTIATED = "{kind} frame for a connection that was never offered between you two; not relayed."
EXPIRE_REPEAT_SECONDS = 5.0
MAX_EXPIRE_MEMORY = 256
# What the PeerJS client sends every 5 s: recognised without parsing.
HEARTBEAT_TEXT = '{"type":"HEARTBEAT"}'
# Tells this process's connections apart in the directory (they share the process's channel).
_connection_ids = itertools.count(1)


class PeerConsumer(AsyncConsumer):
    # The state of one connection, all of it; most is set when it attaches.
    peer_id = ""  # the handle or handle-device, as the account spells it: the src of every frame it sends
    key = ""  # the route key (case-folded peer id): frames and take-overs go by it
    owner = ""  # the account's route key (case-folded handle): log-out and the device cap go by it
    attached = False  # registered in the switchboard and the directory
    closed = False  # a close was sent, or the socket is gone
    address = ""  # the client address counted against SIGNALING_MAX_CONNECTIONS_PER_ADDRESS
    session_key: str | None = None
    watch = Watch()  # what this connection WATCHes
    watched = False  # has this connection sent WATCH yet (its first gets the full picture)
    last_seen = 0.0
    refreshed = 0.0
    refresh_every = 0.0
    last_limit_error = float("-inf")
    last_refusal_error = float("-inf")
    bucket: TokenBucket
    directory: Directory
    inbox: Inbox | None = None  # the process's, while this connection is attached
    here: Location  # where this connection is, as the directory records it

    # Made on first use: most connections sit idle, and every idle connection's bytes count.
    @cached_property
    def strikes(self) -> TokenBucket:
        """Frames dropped over the limit; empty means the socket keeps flooding."""
        return TokenBucket(1, settings.SIGNALING_FRAME_BURST, limits.clock())

    @cached_property
    def dials(self) -> StrangerDials:
        return StrangerDials(settings.SIGNALING_STRANGER_DIALS_PER_MINUTE, 60.0)

    @cached_property
    def negotiations(self) -> Negotiations:
        return Negotiations()

    @cached_property
    def expired(self) -> dict[str, float]:
        """Connection attempts already answered with EXPIRE, until when."""
        return {}

    async def __call__(self, scope, receive, send):
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        try:
            while True:
                message = await receive()
                kind = message["type"]
                if kind == "websocket.receive":
                    await self.receive_frame(message.get("text"))
                elif kind == "websocket.connect":
                    await self.connect()
                elif kind == "websocket.disconnect":
                    break
        finally:
            await self.end()

    # --- sending, never raising -------------------------------------------------------

    async def send_text(self, text: str) -> bool:
        """Sends a frame to my client; False if the socket is closed or going away."""
        if self.closed:
            return False
        try:
            await self.base_send({"type": "websocket.send", "text": text})
        except Exception:  # the server closed the socket under us (a race, not a bug)
            self.closed = True
            log.debug("send to a closing signaling socket failed", exc_info=True)
            return False
        return True

    async def close(self, code: int) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            await self.base_send({"type": "websocket.close", "code": code})
        except Exception:
            log.debug("close of a closing signaling socket failed", exc_info=True)

    # --- attaching --------------------------------------------------------------------

    async def connect(self) -> None:
        # Accept first, then refuse with ERROR: the PeerJS client reports an ERROR frame's
        # message to the app, while a refused handshake only looks like a network failure.
        await self.base_send({"type": "websocket.accept"})
        refusal = self.refusal()
        if refusal:
            await self.refuse(refusal)
            return
        client = self.scope.get("client")
        address = str(client[0]) if client else ""
        # Counted while attached (detach() gives the place back on every way out, also when the
        # server never tells this consumer that a closed socket has gone).
        holder = switchboard.lookup(self.key)
        devices = limits.connections_per_account()
        if devices and len(switchboard.owned(self.owner)) - (holder is not None) >= devices:
            await self.refuse(f"This account has {devices} devices connected already; close one and try again.")
            return
        limit = settings.SIGNALING_MAX_CONNECTIONS_PER_ADDRESS
        if limit and getattr(holder, "address", None) == address:
            limit += 1  # a reload takes over its own socket, which gives its place back at once
        if address and not addresses.add(address, limit):
            await self.refuse("Too many signaling connections from your address; close some tabs and try again.")
            return
        self.address = address
        self.session_key = self.scope["user"].session_key
        now = limits.clock()
        self.bucket = TokenBucket(settings.SIGNALING_FRAMES_PER_SECOND, settings.SIGNALING_FRAME_BURST, now)
        self.last_seen = self.refreshed = now
        self.refresh_every = refresh_seconds()
        self.directory = directory_for(presence)

        channel = ""
        if self.channel_layer is not None:
            self.inbox = inbox_for(self.channel_layer, switchboard.addressed)
            channel = await self.inbox.acquire()
        self.here = Location(channel, self.peer_id, str(next(_connection_ids)))
        displaced = switchboard.attach(self.key, self)
        self.attached = True
        if displaced is not None:
            await displaced.displace(TAKEN_OVER, CLOSE_TAKEN_OVER)
        previous = await self.directory.claim(self.key, self.here)
        if self.channel_layer is not None:
            if previous is not None:
                # The peer id was connected to another server process: that connection closes.
                event = {"type": "peer.takeover", "to": self.key, "connection": previous.connection}
                await self.send_elsewhere(previous.channel, event)
            # Log-out and account deletion reach every process holding a device of the account.
            await self.channel_layer.group_add(handle_group(self.owner), channel)
        switchboard.sweep_idle(settings.SIGNALING_IDLE_TIMEOUT, self.idle_reason(), CLOSE_IDLE)
        await self.send_text(protocol.open_text())

    @staticmethod
    def idle_reason() -> str:
        return f"No frame for {settings.SIGNALING_IDLE_TIMEOUT} s (PeerJS sends HEARTBEAT every 5 s): closed."

    def refusal(self) -> str | None:
        if not origin_allowed(self.scope):
            return "This page's origin may not use the Peerwall broker."
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        peer_id = (query.get("id") or [""])[0]
        token = (query.get("token") or [""])[0]
        key = (query.get("key") or [""])[0]
        if not (peer_id and token and key):
            return "No id, token, or key supplied to websocket server"
        visitor = self.scope.get("user")  # signaling.auth.Visitor, or None
        if visitor is None:
            return "Log in to Peerwall first: the broker only serves logged-in accounts."
        handle = visitor.handle
        if not may_claim(handle, peer_id):
            return (
                f"This session may connect only as {handle!r} (spelled so) or as {handle + '-'!r} and a device "
                f"({DEVICE_RULE}), not as {peer_id[:64]!r}."
            )
        self.peer_id = peer_id
        self.key = route_key(peer_id)
        self.owner = route_key(owner_of(peer_id))
        return None

    async def refuse(self, reason: str) -> None:
        await self.send_text(protocol.error_text(reason))
        await self.close(CLOSE_REFUSED)

    async def end(self) -> None:
        """The one teardown path: the socket is gone, whatever ended it."""
        self.closed = True
        if self.attached:
            await self.detach()

    async def detach(self) -> None:
        self.attached = False
        if self.address:
            addresses.remove(self.address)
            self.address = ""
        held = switchboard.lookup(self.key) is self
        switchboard.detach(self.key, self)
        inbox, self.inbox = self.inbox, None
        try:
            # Else a newer socket of this peer id took over here: friends hear nothing.
            if held:
                await self.tell(await self.directory.leave(self.key, self.here))
            if inbox is not None:
                await self.leave_group(inbox.layer)
        except Exception:  # Redis gone: its entries expire by themselves (SIGNALING_PRESENCE_TTL)
            log.exception("signaling detach could not reach the directory")
        finally:
            if inbox is not None:
                inbox.release()

    async def leave_group(self, layer) -> None:
        """Takes this process out of the account's group once no device of it is left here."""
        group = handle_group(self.owner)
        if switchboard.owned(self.owner):
            return
        await layer.group_discard(group, self.here.channel)
        if switchboard.owned(self.owner):  # another device attached meanwhile: it must stay reachable
            await layer.group_add(group, self.here.channel)

    async def tell(self, notices: list[Notice]) -> None:
        for to_key, about, online in notices:
            await self.send_to(to_key, presence_text(about, online))

    async def send_to(self, key: str, text: str) -> bool:
        """Delivers ``text`` to the connection holding ``key``, in this process or another."""
        target = switchboard.lookup(key)
        if target is not None:
            return await target.deliver(text)
        location = await self.directory.locate(key)
        if location is None:
            return False
        return await self.send_elsewhere(location.channel, {"type": "peer.frame", "to": key, "text": text})

    async def send_elsewhere(self, channel: str, event: dict) -> bool:
        """A frame for a consumer in another process; False if it could not be queued."""
        if self.channel_layer is None:
            return False
        try:
            await self.channel_layer.send(channel, event)
        except ChannelFull:  # that consumer is buried: this frame is lost, as a full socket's would be
            log.warning("signaling frame for a busy connection in another process dropped")
            return False
        return True

    # --- frames from the client -------------------------------------------------------

    async def receive_frame(self, text: str | None) -> None:
        if not self.attached:
            return
        now = limits.clock()
        self.last_seen = now
        if not self.bucket.take(now):
            await self.over_limit(now)
            return
        if now - self.refreshed > self.refresh_every:
            self.refreshed = now
            await self.directory.refresh(self.key, self.here)
        if text == HEARTBEAT_TEXT:
            return  # the client is alive: last_seen says so
        try:
            frame = protocol.parse_client_frame(text, settings.SIGNALING_MAX_FRAME_BYTES)
        except protocol.FrameError as error:
            await self.send_text(protocol.error_text(str(error)))
            return
        if frame.type == protocol.HEARTBEAT:
            return
        if frame.type == protocol.WATCH:
            fresh, self.watched, self.watch = not self.watched, True, frame.payload
            await self.tell(await self.directory.watch(self.key, self.peer_id, frame.payload, fresh))
            return
        if frame.type == protocol.LOCATE:
            await self.locate(frame.payload)
            return
        if frame.dst is None:  # a legacy LEAVE without dst: the client is going away
            await self.close(1000)
            await self.detach()
            return
        await self.route(frame, frame.dst)

    async def over_limit(self, now: float) -> None:
        """A frame over the rate limit is dropped; a socket that keeps flooding is closed.

        Dropping is cheap (nothing is parsed), so the server reads a flood as fast as it comes
        and holds no backlog of it; the close bounds how long one socket may keep trying.
        """
        if not self.strikes.take(now):
            await self.send_text(protocol.error_text(FLOODING))
            await self.close(CLOSE_FLOODING)
            await self.detach()
            return
        if now - self.last_limit_error >= 1.0:  # a flood must not be answered by a flood
            self.last_limit_error = now
            await self.send_text(protocol.error_text(TOO_MANY_FRAMES))

    async def refused(self, message: str) -> None:
        """A frame refused by a relay rule: said once a second at most, so refusals cannot flood."""
        now = limits.clock()
        if now - self.last_refusal_error >= 1.0:
            self.last_refusal_error = now
            await self.send_text(protocol.error_text(message))

    async def route(self, frame: protocol.ClientFrame, dst: str) -> None:
        dst_key = route_key(dst)
        if frame.type == protocol.OFFER:
            await self.offer(frame, dst, dst_key)
            return
        text = protocol.relay_text(frame, self.peer_id)
        if frame.type in protocol.NOTICE_TYPES:
            await self.send_to(dst_key, text)  # relayed only if connected; never answered
            return
        connection_id = frame.payload["connectionId"]
        friend = self.negotiations.partner(dst_key, connection_id)
        if friend is None:
            await self.refused(NOT_NEGOTIATED.format(kind=frame.type))
            return
        if not await self.send_to(dst_key, text) and friend:
            await self.expire(dst, f"{dst_key} {connection_id}")

    async def offer(self, frame: protocol.ClientFrame, dst: str, dst_key: str) -> None:
        """An OFFER starts a negotiation; strangers get no instant answer and a dial budget.

        To a friend's device (one that presence tells of, see signaling.presence.mutual) an absent
        id is answered with EXPIRE at once. To anyone else absence looks like a ring nobody
        answers, so presence is no oracle: the client's own timeout reports it.
        """
        connection_id = frame.payload["connectionId"]
        target = switchboard.lookup(dst_key)
        other: Peer | None
        if target is not None:
            location = None
            other = Peer.seen_by(self.owner, dst_key, target.peer_id, target.watch) if target.watched else None
        else:
            location, other = await self.directory.reach(dst_key, self.owner)
        friend = other is not None and mutual(self.owner, self.watch, other)
        # Strangers are counted by person, not by device: one stranger's devices are one dial.
        if not friend and not self.dials.allow(owner_of(dst_key)):
            await self.refused(STRANGER_DIALS)
            return
        self.negotiations.offered(dst_key, connection_id, friend)
        text = protocol.relay_text(frame, self.peer_id)
        offer = (self.key, connection_id)
        if target is not None:
            delivered = await target.deliver(text, offer)
        elif location is not None:
            event = {"type": "peer.frame", "to": dst_key, "text": text, "offer": list(offer)}
            delivered = await self.send_elsewhere(location.channel, event)
        else:
            delivered = False
        if not delivered and friend:
            await self.expire(dst, f"{dst_key} {connection_id}")

    async def locate(self, handle: str) -> None:
        """Which devices of ``handle`` are connected: how a friend request finds its person.

        A friend's devices are told of by presence already. For anyone else the answer tells what
        a dial would (a ring the other app answers, or none), so it costs a stranger dial: a
        sender learns about only a few distinct people a minute, and over that hears nothing.
        """
        peers = await self.directory.devices(self.key, handle)
        if not any(mutual(self.owner, self.watch, p) for p in peers) and not self.dials.allow(handle):
            await self.refused(STRANGER_DIALS)
            return
        await self.send_text(protocol.located_text(handle, sorted(p.peer_id for p in peers)))

    async def expire(self, dst: str, attempt: str) -> None:
        """Tells the sender its peer is not here, once per connection attempt.

        An offer is followed by a burst of candidates with the same connection id; one EXPIRE is
        enough for the client to report ``peer-unavailable``. A new attempt (a new id) gets its
        own answer at once, so a client that retries soon is never left waiting.
        """
        now = limits.clock()
        if self.expired.get(attempt, float("-inf")) > now:
            return
        if len(self.expired) >= MAX_EXPIRE_MEMORY:
            for stale in [k for k, t in self.expired.items() if t <= now]:
                del self.expired[stale]
            while len(self.expired) >= MAX_EXPIRE_MEMORY:
                self.expired.pop(next(iter(self.expired)))
        self.expired[attempt] = now + EXPIRE_REPEAT_SECONDS
        await self.send_text(protocol.expire_text(dst, self.peer_id))

    # --- the Endpoint interface, used by other consumers of this process ---------------

    async def deliver(self, text: str, offer: tuple[str, str] | None = None) -> bool:
        """A frame for my client; ``offer`` = (sender's key, connection id) if it is an OFFER."""
        if not self.attached:
            return False
        if offer is not None:
            # Whoever offered knows I am here, so my answers may hear EXPIRE if they leave.
            self.negotiations.offered(offer[0], offer[1], True)
        return await self.send_text(text)

    async def displace(self, reason: str, code: int = CLOSE_TAKEN_OVER) -> None:
        if not self.attached:
            return
        await self.detach()
        await self.send_text(protocol.error_text(reason))
        await self.close(code)

    # --- channel layer events, handed over by the process's inbox -----------------------

    async def peer_frame(self, event):
        """A frame for my client relayed from a connection in another server process."""
        text, offer = event.get("text"), event.get("offer")
        if not isinstance(text, str):
            return
        if isinstance(offer, list) and len(offer) == 2 and all(isinstance(part, str) for part in offer):
            await self.deliver(text, (offer[0], offer[1]))
        else:
            await self.deliver(text)

    async def peer_takeover(self, event):
        """This handle attached in another process, displacing this very connection."""
        if event.get("connection") == self.here.connection:
            await self.displace(TAKEN_OVER)

    async def peer_logout(self, event):
        """The account logged out (this session, or every session) or was deleted."""
        session_key = event.get("session_key")
        if session_key and session_key != self.session_key:
            return
        await self.displace(event.get("reason") or "You have been logged out.", CLOSE_LOGGED_OUT)
