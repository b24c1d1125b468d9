from allauth.account.adapter import DefaultAccountAdapter


class HandleAccountAdapter(DefaultAccountAdapter):
    """Speaks of handles where allauth speaks of usernames."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_taken": "That handle is taken; please choose another.",
        "username_blacklisted": "That handle is reserved; please choose another.",
    }
