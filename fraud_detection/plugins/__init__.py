"""dbt-duckdb plugins: the local counterparts of what Redshift does inside the warehouse.

One module a plugin, each listed in profiles.yml under the local target's ``plugins``:
- ``private_files``: what dbt writes (logs, target/) private to the user;
- ``kinesis_reader``: streaming ingestion, the SQL function ``kinesis_records``;
- ``fraud_model``: Redshift ML, the model's prediction functions and what the ml_model
  materialization calls to train and describe it.
"""

from __future__ import annotations


def register(conn, name: str, function, parameters: list[str], returns: str, **options) -> None:
    """Create the SQL function ``name`` on ``conn``, once: functions belong to the database,
    so a second connection of the same process finds it there already."""
    try:
        conn.create_function(
            name,
            function,
            parameters,
            returns,
            side_effects=True,
            null_handling="special",
            **options,
        )
    except Exception as error:
        if "already exists" not in str(error):
            raise
