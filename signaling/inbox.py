"""One channel layer channel per server process, for what reaches its connections from outside.

Frames relayed from another process, take-overs and log-outs arrive on the process's channel,
each addressed to a route key (``to``) or to every device of an account (``owner``, a log-out);
the inbox hands it to the connections it names in this process (``Switchboard.addressed``), by
Channels' handler naming convention (``peer.frame`` → ``peer_frame``). One channel and one task
per process, instead of one of each per connection, is what keeps an idle connection cheap: no
queue, no task and no channel layer subscription of its own.

The inbox lives while connections use it: the first one starts it, the last one stops it (so a
process with nobody connected holds no task, and each test's event loop ends clean).
"""

import asyncio
import logging
from collections.abc import Callable, Iterable

from channels.consumer import get_handler_name

log = logging.getLogger(__name__)


class Inbox:
    def __init__(self, layer, addressed: Callable[[dict], Iterable[object]]) -> None:
        self.layer = layer
        self.addressed = addressed
        self.users = 0
        self._starting: asyncio.Task[str] | None = None
        self._task: asyncio.Task | None = None

    async def acquire(self) -> str:
        """The process's channel name, the inbox started if need be; each acquire needs one release."""
        self.users += 1
        try:
            if self._starting is None:
                self._starting = asyncio.get_running_loop().create_task(self._start())
            return await asyncio.shield(self._starting)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        self.users -= 1
        if self.users > 0:
            return
        self.users = 0
        # The last user is gone (or a start failed): the next acquire starts afresh.
        for task in (self._starting, self._task):
            if task is not None and not task.done():
                task.cancel()
        self._starting = self._task = None

    async def _start(self) -> str:
        channel = await self.layer.new_channel()
        self._task = asyncio.get_running_loop().create_task(self._run(channel))
        return channel

    async def _run(self, channel: str) -> None:
        while True:
            event = await self.layer.receive(channel)
            try:
                await self.dispatch(event)
            except Exception:  # one bad event must not end the process's inbox
                log.exception("signaling event failed")

    async def dispatch(self, event: dict) -> None:
        # Nobody named (whoever it was for has left this process): as a frame to a closed socket.
        for target in list(self.addressed(event)):
            handler = getattr(target, get_handler_name(event), None)
            if handler is None:
                log.warning("signaling event of unknown type %r", event.get("type"))
                return
            await handler(event)


_inboxes: dict[tuple[int, int], Inbox] = {}


def inbox_for(layer, addressed: Callable[[dict], Iterable[object]]) -> Inbox:
    """This event loop's inbox on ``layer`` (tests run many loops and layers in one process)."""
    key = (id(asyncio.get_running_loop()), id(layer))
    inbox = _inboxes.get(key)
    if inbox is None or inbox.layer is not layer:
        if len(_inboxes) > 64:  # loops of finished tests
            for stale in [k for k, box in _inboxes.items() if box.users == 0]:
                del _inboxes[stale]
        inbox = _inboxes[key] = Inbox(layer, addressed)
    return inbox
