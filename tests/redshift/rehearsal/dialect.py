"""Redshift statements -> what PostgreSQL runs: the bridge's handler (see bridge.py).

`Translator(sql)` returns (sql_to_forward, on_execute). Redshift-only statements become calls
of shim.sql's functions (so their errors, transactions and results are PostgreSQL's own);
a statement Redshift would refuse becomes a DO block raising that error. Plain SQL passes
through, minus Redshift-only DDL clauses and with DATEADD/DATEDIFF's bare datepart quoted.
Regex-based, not a parser: the patterns could also match inside string literals.
"""

from __future__ import annotations

import logging
import re
import threading
from contextlib import closing

from .create_model import (
    IDENT,
    NAME,
    ModelStatementError,
    create_model_sql,
    drop_model_sql,
    ident,
    show_model_sql,
)
from .streaming_view import streaming_view_refusal
from .streams import StreamIngestion

log = logging.getLogger(__name__)

# Redshift-only clauses in dbt-redshift's DDL (dist/sort/backup/late binding/auto refresh),
# cut from CREATE/ALTER statements (PostgreSQL has none of them).
DDL_CLAUSES = [
    re.compile(r"\bwith\s+no\s+schema\s+binding\b", re.I),
    re.compile(r"\bbackup\s+(yes|no)\b", re.I),
    re.compile(r"\bdiststyle\s+(even|all|key|auto)\b", re.I),
    re.compile(r"\bdistkey\s*\([^)]*\)", re.I),
    re.compile(r"\b(compound\s+|interleaved\s+)?sortkey\s*\([^)]*\)", re.I),
    re.compile(r"\bauto\s+refresh\s+(yes|no)\b", re.I),
]
# DATEADD(datepart, ...) / DATEDIFF(datepart, ...): Redshift's datepart is a bare word.
DATEPART = re.compile(r"\b(dateadd|datediff)\s*\(\s*([A-Za-z]+)\s*,", re.I)
# REGEXP_SUBSTR(source, pattern, position, occurrence, 'e'): "e - Extract a substring using a
# subexpression ... REGEXP_SUBSTR considers only the first subexpression"
# (https://docs.aws.amazon.com/redshift/latest/dg/REGEXP_SUBSTR.html). PostgreSQL 15 takes the
# subexpression as a sixth argument instead (and refuses 'e' as a flag).
SUBEXPRESSION = re.compile(
    r"(\bregexp_substr\s*\(.*?,\s*\d+\s*,\s*\d+\s*),\s*'e'\s*\)", re.I | re.S
)
# CURRENT_SETTING('enable_case_sensitive_identifier')
# (https://docs.aws.amazon.com/redshift/latest/dg/r_CURRENT_SETTING.html): PostgreSQL has no
# such setting; the shim keeps it as redshift.enable_case_sensitive_identifier (off unless a
# test sets it for the database).
CASE_SENSITIVE_SETTING = re.compile(
    r"\bcurrent_setting\s*\(\s*'enable_case_sensitive_identifier'\s*\)", re.I
)
# PostgreSQL functions Redshift lists as unsupported that PostgreSQL has, so that they would
# pass here unnoticed: "These PostgreSQL functions are not supported in Amazon Redshift ...
# some unsupported functions will not return an error when run on the leader node. The fact
# that these functions do not return an error in some cases should not be taken to indicate
# that the function is supported"
# (https://docs.aws.amazon.com/redshift/latest/dg/c_unsupported-postgresql-functions.html).
UNSUPPORTED_FUNCTIONS = re.compile(
    r"\b(generate_series|generate_subscripts|pg_sleep|pg_sleep_for|pg_sleep_until)\s*\(", re.I
)
LEADING_COMMENTS = re.compile(r"^(\s+|--[^\n]*\n?|/\*.*?\*/)*", re.S)


def error_sql(message: str, code: str = "42601") -> str:
    """A statement failing with `message` (as the error Redshift would return)."""
    literal = message.replace("'", "''")
    return (
        f"do $rehearsal$ begin raise exception '%', '{literal}' "
        f"using errcode = '{code}'; end $rehearsal$"
    )


def _literal(value: str | None) -> str:
    return "null" if value is None else "'" + value.replace("'", "''") + "'"


TRY_CAST = re.compile(r"\btry_cast\s*\(", re.I)
TOP_LEVEL_AS = re.compile(r"\s+as\s+", re.I)


def rewrite_try_cast(sql: str) -> str:
    """TRY_CAST(expression AS type) -> CAST(redshift_shim.try_cast_text(...) AS type):
    PostgreSQL has no TRY_CAST (https://docs.aws.amazon.com/redshift/latest/dg/r_TRY_CAST.html)."""
    found = TRY_CAST.search(sql)
    while found:
        depth, end = 1, found.end()
        while depth and end < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            end += 1
        inner = sql[found.end() : end - 1]
        split = [m for m in TOP_LEVEL_AS.finditer(inner) if _depth(inner, m.start()) == 0][-1]
        expression, type_name = inner[: split.start()], inner[split.end() :].strip()
        replacement = (
            f"cast(redshift_shim.try_cast_text(cast({rewrite_try_cast(expression)} as text), "
            f"{_literal(type_name)}) as {type_name})"
        )
        sql = sql[: found.start()] + replacement + sql[end:]
        found = TRY_CAST.search(sql, found.start() + len(replacement))
    return sql


def _depth(text: str, at: int) -> int:
    return text[:at].count("(") - text[:at].count(")")


def strip_ddl_clauses(sql: str) -> str:
    for pattern in DDL_CLAUSES:
        sql = pattern.sub("", sql)
    return sql


class Translator:
    def __init__(self, ingestion: StreamIngestion, refuse_unsupported_functions: bool = True):
        self.ingestion = ingestion
        self.refuse_unsupported_functions = refuse_unsupported_functions
        self.statements: list[str] = []  # everything received, in order
        self._lock = threading.Lock()

    def record(self, sql: str) -> None:
        with self._lock:
            self.statements.append(sql)

    def __call__(self, sql: str, in_transaction: bool = False):
        try:
            return self.translate(sql, in_transaction)
        except ModelStatementError as e:
            return error_sql(str(e)), None
        except Exception as e:  # a harness problem: the statement fails, loudly
            log.exception("rehearsal could not handle: %s", sql[:200])
            return error_sql(f"rehearsal harness error: {e}", "XX000"), None

    def translate(self, sql: str, in_transaction: bool = False):
        sql = DATEPART.sub(lambda m: f"{m.group(1)}('{m.group(2).lower()}',", sql)
        sql = SUBEXPRESSION.sub(r"\1, '', 1)", sql)
        sql = CASE_SENSITIVE_SETTING.sub("redshift_shim.enable_case_sensitive_identifier()", sql)
        body = sql[LEADING_COMMENTS.match(sql).end() :]
        head = " ".join(body[:200].lower().split())
        unsupported = (
            UNSUPPORTED_FUNCTIONS.search(sql) if self.refuse_unsupported_functions else None
        )
        if unsupported:
            return error_sql(
                f"function {unsupported.group(1).lower()} is not supported by Amazon Redshift "
                "(Unsupported PostgreSQL functions page; refused by the rehearsal)",
                "0A000",
            ), None
        if head.startswith("create external schema"):
            return self.external_schema(body), None
        if head.startswith("create model"):
            return create_model_sql(body), None
        if head.startswith("drop model"):
            if in_transaction:
                # "This command isn't reversible. The DROP MODEL command commits immediately"
                # (https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_MODEL.html): inside a
                # transaction block a ROLLBACK could not bring the model back, so the
                # rehearsal refuses it there rather than guess what Redshift commits.
                return error_sql(
                    "DROP MODEL commits immediately: run it outside a transaction block",
                    "25001",
                ), None
            return drop_model_sql(body), None
        if head.startswith("show model"):
            return show_model_sql(body), None
        if head.startswith("create materialized view"):
            return self.create_materialized_view(body)
        if head.startswith("alter materialized view"):
            m = re.match(
                rf"alter\s+materialized\s+view\s+({NAME})\s+auto\s+refresh\s+(yes|no)\s*;?\s*$",
                body,
                re.I | re.S,
            )
            if m:
                return (
                    f"select redshift_shim.set_mv_auto_refresh({_literal(m.group(1))}, "
                    f"{'true' if m.group(2).lower() == 'yes' else 'false'})"
                ), None
        if head.startswith("refresh materialized view"):
            m = re.match(rf"refresh\s+materialized\s+view\s+({NAME})", body, re.I)
            mv = m.group(1)
            return sql, lambda: self.ingestion.pull_for_mv(mv)
        if head.startswith(("grant ", "revoke ")) and re.search(r"\bon\b", head):
            # GRANT ... TO ROLE r / GROUP g
            # (https://docs.aws.amazon.com/redshift/latest/dg/r_GRANT.html):
            # PostgreSQL accepts GROUP g but not ROLE r; roles and groups are PostgreSQL roles.
            return re.sub(r"(\bto\b|\bfrom\b|,)\s*role\s+", r"\1 ", sql, flags=re.I), None
        if head.startswith("copy ") and re.search(r"\bfrom\s+'s3://", body, re.I):
            return error_sql(
                "rehearsal: COPY from S3 is not rehearsed (use Rehearsal.load_history)", "0A000"
            ), None
        if head.startswith(("create", "alter")):
            sql = strip_ddl_clauses(sql)
        return rewrite_try_cast(sql), None

    def case_sensitive(self) -> bool:
        """enable_case_sensitive_identifier as a new session of the database sees it."""
        with closing(self.ingestion.connect()) as conn, conn.cursor() as cur:
            cur.execute("select redshift_shim.enable_case_sensitive_identifier()")
            return cur.fetchone()[0] in ("on", "true")

    # CREATE EXTERNAL SCHEMA
    # (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_EXTERNAL_SCHEMA.html)
    def external_schema(self, body: str) -> str:
        m = re.match(
            rf"create\s+external\s+schema\s+(if\s+not\s+exists\s+)?({IDENT})\s+from\s+(\w+)(.*)$",
            body,
            re.I | re.S,
        )
        if not m:
            return error_sql(f"syntax error in CREATE EXTERNAL SCHEMA: {body[:80]}")
        if_not_exists, schema, source, rest = (
            bool(m.group(1)),
            ident(m.group(2)),
            m.group(3).lower(),
            m.group(4),
        )
        role = re.search(r"\biam_role\s+(default|'[^']*')", rest, re.I)
        if source == "kinesis":
            # "Streaming ingestion for Kinesis Data Streams doesn't require an authentication
            # type. It uses the IAM role defined in the CREATE EXTERNAL SCHEMA statement"
            if not role:
                return error_sql(
                    "CREATE EXTERNAL SCHEMA ... FROM KINESIS needs IAM_ROLE { default | 'arn' }"
                )
            return (
                f"select redshift_shim.create_kinesis_schema({_literal(schema)}, "
                f"{'true' if if_not_exists else 'false'}, {_literal(role.group(1).strip(chr(39)))})"
            )
        if source in ("msk", "kafka"):
            # MSK/Kafka needs AUTHENTICATION { none | iam | mtls } and CLUSTER_ARN or URI.
            # Not rehearsed beyond that: the schema is created, nothing reads from it.
            if not re.search(r"\bauthentication\s+(none|iam|mtls)\b", rest, re.I):
                return error_sql(
                    f"CREATE EXTERNAL SCHEMA ... FROM {source.upper()} needs "
                    "AUTHENTICATION { none | iam | mtls }"
                )
            if not re.search(r"\b(cluster_arn|uri)\s+'[^']+'", rest, re.I):
                return error_sql(
                    f"CREATE EXTERNAL SCHEMA ... FROM {source.upper()} needs URI or CLUSTER_ARN"
                )
            return f'create schema {"if not exists " if if_not_exists else ""}"{schema}"'
        return error_sql(
            f"rehearsal: CREATE EXTERNAL SCHEMA FROM {source.upper()} is not rehearsed", "0A000"
        )

    # CREATE MATERIALIZED VIEW mv [BACKUP {YES|NO}] [table_attributes]
    #     [AUTO REFRESH {YES|NO}] AS query
    # (https://docs.aws.amazon.com/redshift/latest/dg/materialized-view-create-sql-command.html)
    def create_materialized_view(self, body: str):
        m = re.match(
            rf"create\s+materialized\s+view\s+({NAME})\s*(.*?)\bas\b(.*)$", body, re.I | re.S
        )
        if not m:
            return error_sql(f"syntax error in CREATE MATERIALIZED VIEW: {body[:80]}"), None
        name, attributes, query = m.group(1), m.group(2), m.group(3)
        parts = re.findall(IDENT, name)
        schema, mv = (ident(parts[-2]) if len(parts) > 1 else "public"), ident(parts[-1])
        auto = re.search(r"\bauto\s+refresh\s+(yes|no)\b", attributes, re.I)
        backup = re.search(r"\bbackup\s+(yes|no)\b", attributes, re.I)
        streams = []
        for kschema in self.ingestion.kinesis_schemas():
            quoted = re.escape('"' + kschema.replace('"', '""') + '"')
            unquoted = re.escape(kschema) if re.fullmatch(r"[a-z_][a-z0-9_$]*", kschema) else None
            pattern = (
                rf'(?<![\w."])(?:{quoted}{"|" + unquoted if unquoted else ""})\s*\.\s*({IDENT})'
            )
            for ref in re.finditer(pattern, query, re.I):
                streams.append((kschema, ident(ref.group(1))))
        streams = sorted(set(streams))
        if streams and (refusal := streaming_view_refusal(query)):
            return error_sql(refusal, "0A000"), None
        if len(streams) > 1:
            # "can reference only one stream" (streaming ingestion getting-started page)
            return error_sql(
                "a streaming ingestion materialized view can reference only one stream"
            ), None
        if any(stream != stream.lower() for _, stream in streams) and not self.case_sensitive():
            # Redshift folds even quoted identifiers to lower case unless
            # enable_case_sensitive_identifier is on, and Kinesis stream names are case
            # sensitive (r_enable_case_sensitive_identifier.html; streaming ingestion
            # getting-started page): the folded name is the stream read.
            streams = [(kschema, stream.lower()) for kschema, stream in streams]
            query = re.sub(r'"([^"]*[A-Z][^"]*)"', lambda m: f'"{m.group(1).lower()}"', query)
        for kschema, stream in streams:
            self.ingestion.ensure_stream_relation(kschema, stream)
            self.ingestion.pull(kschema, stream, mv_name=mv)  # PostgreSQL analyses at Parse
        with closing(self.ingestion.connect()) as conn, conn.cursor() as cur:
            cur.execute(
                "insert into redshift_shim.mv_settings values (%s, %s, %s, %s) "
                "on conflict (schema_name, mv_name) do update set auto_refresh = "
                "excluded.auto_refresh, backup = excluded.backup",
                (
                    schema,
                    mv,
                    bool(auto and auto.group(1).lower() == "yes"),
                    not (backup and backup.group(1).lower() == "no"),
                ),
            )
        sql = f"create materialized view {name} as{query}"

        def ingest() -> None:  # what arrived between Parse and Execute
            for kschema, stream in streams:
                self.ingestion.pull(kschema, stream, mv_name=mv)

        return sql, ingest
