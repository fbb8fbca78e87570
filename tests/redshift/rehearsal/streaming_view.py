"""What a streaming materialized view's SELECT may not hold, as Redshift's pages list it: the
rehearsal refuses such a CREATE MATERIALIZED VIEW on a stream, as Redshift would.

- "JOINs are not currently supported on materialized views created on a Kinesis stream, or on
  an Amazon MSK topic", and "The materialized view must be incrementally maintainable"
  (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-streaming-ingestion.html);
- what keeps a view from incremental refresh: outer joins, UNION/INTERSECT/EXCEPT/MINUS,
  window functions, subqueries, DISTINCT aggregates, "Mutable functions, such as date-time
  functions, RANDOM and non-STABLE user-defined functions"
  (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-refresh-sql-command.html);
- any materialized view: "The ORDER BY, LIMIT, or OFFSET clause", "User-defined functions"
  (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-create-sql-command.html).

Patterns, not a parser: comments and string literals are blanked first, and a user-defined
function is taken to be a schema-qualified call (Redshift's own functions are unqualified).
"""

from __future__ import annotations

import re

_LITERALS = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.S)
RULES = [
    (r"\bjoin\b", "a JOIN"),
    (r"\bover\s*\(", "a window function"),
    (r"\border\s+by\b", "ORDER BY"),
    (r"\blimit\b|\boffset\b", "LIMIT or OFFSET"),
    (r"\(\s*select\b", "a subquery"),
    (r"\b(union|intersect|except|minus)\b", "a set operation"),
    (r"\b\w+\s*\(\s*distinct\b", "a DISTINCT aggregate"),
    (
        r"\b(getdate|sysdate|random|now|timeofday)\s*\(|\bcurrent_(date|time|timestamp)\b",
        "a mutable function",
    ),
    (
        r'(?<![\w."])(?:"[^"]+"|[a-z_]\w*)\s*\.\s*(?:"[^"]+"|[a-z_]\w*)\s*\(',
        "a user-defined function",
    ),
]


def streaming_view_refusal(query: str) -> str | None:
    """Why Redshift refuses ``query`` as a streaming view's SELECT, or None."""
    text = _LITERALS.sub(" ", query)
    for pattern, what in RULES:
        if re.search(pattern, text, re.I):
            return (
                f"a streaming ingestion materialized view may not hold {what}"
                " (it must be incrementally maintainable, without joins)"
            )
    return None
