"""Errors meant for the user: the CLIs print their message as one line and exit 2."""


class UserError(Exception):
    """Bad input, or a stream, endpoint, file or warehouse that cannot be used."""
