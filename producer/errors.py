"""Errors meant for the user: the CLI prints their message as one line and exits 2."""


class ProducerError(Exception):
    """Bad input, or a stream, endpoint or file that cannot be used."""
