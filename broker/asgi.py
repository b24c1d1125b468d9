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

# Everything loaded so far lives as long as the process: out of the cyclic collector's sight, so
# that a full collection walks only what connections made (a relay stalls while it runs).
gc.freeze()
