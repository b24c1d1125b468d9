from django.urls import path

from signaling.consumer import PeerConsumer

websocket_urlpatterns = [
    path("peerjs", PeerConsumer.as_asgi()),
]
