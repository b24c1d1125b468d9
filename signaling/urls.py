from django.urls import path

from signaling import views

urlpatterns = [
    path("api/ice", views.ice, name="ice"),
    # The PeerJS client asks "{path}{key}/id" when given no id; any key is accepted.
    path("<slug:key>/id", views.peer_id, name="peer_id"),
]
