"""Logging out or deleting an account ends that account's signaling connections too: every device's."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete
from django.dispatch import receiver

from signaling.ownership import route_key
from signaling.switchboard import handle_group


def _tell(handle: str, reason: str, session_key: str | None = None) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    owner = route_key(handle)
    event = {"type": "peer.logout", "owner": owner, "reason": reason}
    if session_key:
        event["session_key"] = session_key
    async_to_sync(layer.group_send)(handle_group(owner), event)


@receiver(user_logged_out)
def end_session_connections(sender, request, user, **kwargs):
    if user is not None and request is not None:
        _tell(user.get_username(), "You logged out.", request.session.session_key)


@receiver(post_delete, sender=get_user_model())
def end_account_connections(sender, instance, **kwargs):
    _tell(instance.get_username(), "This account has been deleted.")
