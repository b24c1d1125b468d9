"""What a handle may be.

A handle is the person's PeerJS peer id, so it must satisfy the PeerJS client's id rule
(``^[A-Za-z0-9]+(?:[ _-][A-Za-z0-9]+)*$``); we allow only ``_`` as a separator, because ``-``
is kept for ``handle-device`` peer ids and a space would not survive a URL.
"""

import re

from django.core.exceptions import ValidationError

MAX_LENGTH = 15
HANDLE_PATTERN = r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*"
_HANDLE_RE = re.compile(rf"\A{HANDLE_PATTERN}\Z")

# Words a handle may not be: our own URL segments, words that impersonate the service,
# and words that would confuse JavaScript or a reader.
RESERVED = frozenset(
    """
    about accounts admin administrator api app apps assets billing contact developer
    docs everyone feed friends health help home id ice login logout me media moderator
    news null official owner peer peerjs peers peerwall postmaster privacy root security
    settings signup static staff support system terms undefined user users wall walls
    webmaster www
    """.split()
)


def normalize(handle: str) -> str:
    """The case-insensitive identity of a handle, for comparisons and lookups."""
    return handle.casefold()


def validate_handle(value: str) -> None:
    if not isinstance(value, str) or not value:
        raise ValidationError("Choose a handle.", code="handle_empty")
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            f"A handle is at most {MAX_LENGTH} characters (this one has {len(value)}).", code="handle_too_long"
        )
    if "__" in value:
        raise ValidationError("A handle may not contain two underscores in a row.", code="handle_double_underscore")
    if value.startswith("_") or value.endswith("_"):
        raise ValidationError("A handle must start and end with a letter or a digit.", code="handle_edge_underscore")
    if not _HANDLE_RE.match(value):
        raise ValidationError(
            "A handle may contain only letters A–Z, digits 0–9 and underscores.", code="handle_characters"
        )
    if normalize(value) in RESERVED:
        raise ValidationError(f"@{value} is reserved; please choose another handle.", code="handle_reserved")


def is_valid_handle(value: object) -> bool:
    try:
        validate_handle(value)  # type: ignore[arg-type]
    except ValidationError:
        return False
    return True


# django-allauth's ACCOUNT_USERNAME_VALIDATORS points here.
HANDLE_VALIDATORS = [validate_handle]
