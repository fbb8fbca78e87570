"""Rehearsing the project's redshift target: the real dbt-redshift adapter and the project's
redshift__ macros against a real PostgreSQL 15, through a loopback bridge that emulates the
Redshift behaviour the project relies on (see README.md)."""

from .postgres import missing_requirements
from .rehearsal import Rehearsal

__all__ = ["Rehearsal", "missing_requirements"]
