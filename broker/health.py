"""GET /healthz: can this process reach its database and its channel layer?

For load balancers and container health checks: 200 when both answer, 503 with what failed.
It says nothing about anyone's account or connection.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

log = logging.getLogger(__name__)
CHECK_SECONDS = 2.0


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def _channel_layer() -> None:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "health.probe"})
    message = await layer.receive(channel)
    if message.get("type") != "health.probe":
        raise RuntimeError("the channel layer returned something else")


async def healthz(request):
    checks = {}
    for name, check in (("database", sync_to_async(_database)), ("channel_layer", _channel_layer)):
        try:
            await asyncio.wait_for(check(), CHECK_SECONDS)
            checks[name] = "ok"
        except Exception as error:  # any failure is the answer, not a crash
            log.warning("health check %s failed: %s", name, type(error).__name__)
            checks[name] = f"failing: {type(error).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    response = JsonResponse({"status": "ok" if healthy else "failing", **checks}, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response
