"""Whether this session began with a sign-up, so that the app can tell a new account from a log-in.

A browser that signs up makes the account's first identity and goes straight to the wall; one that
logs in and holds no identity for the handle must ask first (link a device, restore from the recovery
phrase, import a backup, or start fresh: DESIGN.md, "The UI contract"). Only the server knows which
of the two happened, so the app page says it. The flag stays for the whole session (a reload of the
app page must not turn a new account into a log-in) and goes with it at log-out.
"""

from allauth.account.signals import user_signed_up
from django.dispatch import receiver
from django.http import HttpRequest

SESSION_KEY = "peerwall_signed_up"


@receiver(user_signed_up)
def mark_session_as_signed_up(sender, request, user, **kwargs):
    # Sent before allauth logs the new account in; Django's login keeps the session's data when
    # the session had no user yet (it only changes the key), so the flag survives.
    if request is not None:
        request.session[SESSION_KEY] = True


def signed_up_in(request: HttpRequest) -> bool:
    """Did this session sign up (rather than log in)?"""
    return bool(request.session.get(SESSION_KEY))
