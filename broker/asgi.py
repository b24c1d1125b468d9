import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "broker.settings")
# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from signaling.auth import SessionAuthOnce  # noqa: E402
from signaling.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The consumer checks Origin itself, so that a refusal reaches the client as an ERROR frame.
        "websocket": SessionAuthOnce(URLRouter(websocket_urlpatterns)),
    }
)

# The cyclic collector stops the relay while it walks every live object: with 10,000 sockets a
# full collection took 150-600 ms here, and with the default thresholds (700, 10, 10) young
# collections promoted enough to start one every few seconds while sockets came and went. What
# start-up loaded lives as long as the process, so it is frozen out of the collector's sight, and
# young collections wait for 10,000 surviving allocations (a relay frame's objects die by
# reference counting, never reaching the collector): in bench/signaling_bench.py's run that left
# one full collection where there had been twenty, and no stall inside a relay step.
gc.freeze()
gc.set_threshold(10_000, 10, 10)
