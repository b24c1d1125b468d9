import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from broker.limits import limited
from signaling.ice import ice_servers


def _logged_out() -> JsonResponse:
    return JsonResponse({"error": "Log in first."}, status=401)


@never_cache
@require_GET
@limited("ice")
def ice(request):
    if not request.user.is_authenticated:
        return _logged_out()
    servers = ice_servers(
        handle=request.user.get_username(),
        now=int(time.time()),
        stun_urls=settings.STUN_URLS,
        turn_urls=settings.TURN_URLS,
        turn_secret=settings.TURN_SECRET,
        ttl=settings.TURN_CREDENTIAL_TTL,
    )
    return JsonResponse({"iceServers": servers, "ttl": settings.TURN_CREDENTIAL_TTL})


@never_cache
@require_GET
def peer_id(request, key):
    """The PeerJS client's ``{path}{key}/id``: a logged-in person's peer id is their handle."""
    if not request.user.is_authenticated:
        return HttpResponse("Log in first.", status=401, content_type="text/plain")
    return HttpResponse(request.user.get_username(), content_type="text/plain")
