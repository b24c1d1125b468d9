"""The floor: a bare ASGI app that says OPEN and forwards frames, with none of the broker's work.

No Django, no Channels, no session, no checks: it stamps ``src`` and hands the frame to the
socket of ``dst`` in the same process. Run under the image's server command, it shows what the
server itself costs (its WebSocket framing, its event loop, the socket calls), so the benchmark
can say how much of the broker's cost is the broker's. Never served to anyone: a benchmark only.
"""

import json
from urllib.parse import parse_qs

HEARTBEAT = '{"type":"HEARTBEAT"}'
_sockets: dict = {}


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    me = parse_qs(scope["query_string"].decode()).get("id", [""])[0]
    try:
        while True:
            message = await receive()
            kind = message["type"]
            if kind == "websocket.connect":
                await send({"type": "websocket.accept"})
                _sockets[me] = send
                await send({"type": "websocket.send", "text": '{"type":"OPEN"}'})
            elif kind == "websocket.receive":
                text = message.get("text")
                if not text or text == HEARTBEAT:
                    continue
                frame = json.loads(text)
                target = _sockets.get(frame.get("dst"))
                if target is not None:
                    frame["src"] = me
                    await target({"type": "websocket.send", "text": json.dumps(frame, separators=(",", ":"))})
            else:
                return
    finally:
        if _sockets.get(me) is send:
            del _sockets[me]
