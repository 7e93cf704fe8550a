"""The one error the media layer raises; the SDK maps it to its documented ``BasicError``."""


class MediaError(Exception):
    """A description could not be applied, or media could not be sent (no transport yet)."""
