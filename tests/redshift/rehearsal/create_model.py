"""CREATE MODEL, SHOW MODEL and DROP MODEL statements, checked and turned into shim calls.

CREATE MODEL (https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_MODEL.html, use cases
https://docs.aws.amazon.com/redshift/latest/dg/r_create_model_use_cases.html):
`parse_create_model` checks the statement as the page and its use case "CREATE XGBoost
models with AUTO OFF" state (keyword order, AUTO ON/OFF rules, objectives, SETTINGS) and
raises ModelStatementError with the reason; the bridge returns that as the statement's error.
A valid statement becomes `select redshift_shim.create_model(...)` (shim.sql), which checks
the schema, the name and the FROM query in the session, registers the model with
model_state 'Train Model On SageMaker In Progress' and NOTIFYs the channel redshift_ml, on
which redshift_ml.ModelTrainer trains it. CREATE MODEL returns at once, as on Redshift
(training is asynchronous).

SHOW MODEL (https://docs.aws.amazon.com/redshift/latest/dg/r_SHOW_MODEL.html) and DROP MODEL
(https://docs.aws.amazon.com/redshift/latest/dg/r_DROP_MODEL.html) become calls of
redshift_shim.show_model / show_model_all / drop_model.
"""

from __future__ import annotations

import json
import re

CREATE_MODEL_DOC = "https://docs.aws.amazon.com/redshift/latest/dg/r_CREATE_MODEL.html"

# "follow the order of the keywords": the full syntax block. PREPROCESSORS and
# HYPERPARAMETERS share a rank: the full syntax lists PREPROCESSORS first, the AUTO OFF use
# case lists HYPERPARAMETERS first, so both orders are documented.
CLAUSE_ORDER = {
    "TARGET": 0,
    "FUNCTION": 1,
    "RETURNS": 2,
    "SAGEMAKER": 3,
    "IAM_ROLE": 4,
    "AUTO": 5,
    "MODEL_TYPE": 6,
    "PROBLEM_TYPE": 7,
    "OBJECTIVE": 8,
    "PREPROCESSORS": 9,
    "HYPERPARAMETERS": 9,
    "SETTINGS": 10,
}
SETTINGS_ORDER = [
    "S3_BUCKET",
    "TAGS",
    "KMS_KEY_ID",
    "S3_GARBAGE_COLLECT",
    "MAX_CELLS",
    "MAX_RUNTIME",
    "HORIZON",
    "FREQUENCY",
    "PERCENTILES",
    "MAX_BATCH_ROWS",
]
MODEL_TYPES = {"XGBOOST", "MLP", "LINEAR_LEARNER", "KMEANS", "FORECAST"}
PROBLEM_TYPES = {"REGRESSION", "BINARY_CLASSIFICATION", "MULTICLASS_CLASSIFICATION"}
# AUTO ON objectives; the syntax block writes 'F1_Macro', the parameter text 'F1Macro'.
AUTO_ON_OBJECTIVES = {"MSE", "ACCURACY", "F1", "F1MACRO", "F1_MACRO", "AUC"}
# "CREATE XGBoost models with AUTO OFF" objectives.
XGBOOST_OBJECTIVES = {
    "reg:squarederror",
    "reg:squaredlogerror",
    "reg:logistic",
    "reg:pseudohubererror",
    "reg:tweedie",
    "binary:logistic",
    "binary:hinge",
    "multi:softmax",
    "rank:pairwise",
    "rank:ndcg",
}

# The XGBoost hyperparameters CREATE MODEL's page lists with a range ("Following are examples
# of parameters for XGBoost and their defaults"): a value outside it is refused. Names the page
# does not list pass (it says HYPERPARAMETERS "support XGBoost hyperparameters, except
# OBJECTIVE"); OBJECTIVE itself is refused.
XGBOOST_RANGES = {
    "MAX_DEPTH": (0, 10),
    "MIN_CHILD_WEIGHT": (0, 120),
    "SUBSAMPLE": (0.5, 1),
    "GAMMA": (0, 5),
    "ALPHA": (0, 1000),
    "ETA": (0.1, 0.5),
    "COLSAMPLE_BYLEVEL": (0.1, 1),
    "COLSAMPLE_BYNODE": (0.1, 1),
    "COLSAMPLE_BYTREE": (0.5, 1),
    "LAMBDA": (0, 1000),
    "MAX_DELTA_STEP": (0, 10),
}

IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
NAME = rf"{IDENT}(?:\s*\.\s*{IDENT}){{0,2}}"  # [db.][schema.]name
TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")+\"|[(),]|[^\s(),'\"]+")


class ModelStatementError(Exception):
    """The statement is not a valid CREATE/SHOW/DROP MODEL: its message is the client's error."""


def ident(text: str) -> str:
    """An identifier as Redshift stores it: quoted as written, unquoted in lower case."""
    return text[1:-1].replace('""', '"') if text.startswith('"') else text.lower()


def split_name(text: str) -> tuple[str | None, str]:
    parts = re.findall(IDENT, text)
    return (ident(parts[-2]) if len(parts) > 1 else None), ident(parts[-1])


def _string(token: str, what: str) -> str:
    if not token.startswith("'"):
        raise ModelStatementError(
            f'syntax error at or near "{token}": {what} takes a quoted string'
        )
    return token[1:-1].replace("''", "'")


def _balanced(text: str, start: int) -> int:
    """Index just after the parenthesis closing the one at ``start`` (quotes respected)."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c in "'\"":
            end = text.index(c, i + 1)
            while end + 1 < len(text) and text[end + 1] == c:  # doubled quote
                end = text.index(c, end + 2)
            i = end
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ModelStatementError("syntax error at end of input: unbalanced parentheses in FROM")


def parse_create_model(sql: str) -> dict:
    """The CREATE MODEL statement as a dict, or ModelStatementError (see module docstring)."""
    m = re.match(rf"\s*create\s+model\s+({IDENT}(?:\s*\.\s*{IDENT})?)\s+from\s+", sql, re.I | re.S)
    if not m:
        raise ModelStatementError(
            "syntax error in CREATE MODEL: expected CREATE MODEL name FROM ..."
        )
    schema, name = split_name(m.group(1))
    rest = sql[m.end() :]
    if rest.startswith("("):
        end = _balanced(rest, 0)
        query, tail = rest[1 : end - 1].strip(), rest[end:]
    elif rest.startswith("'"):
        raise ModelStatementError(
            "rehearsal: bring-your-own-model (FROM 'job_name') is not rehearsed"
        )
    else:
        table = re.match(rf"{IDENT}(?:\s*\.\s*{IDENT})*", rest)
        if not table:
            raise ModelStatementError("syntax error at or near FROM: expected a table or (query)")
        query, tail = f"select * from {table.group(0)}", rest[table.end() :]
    tokens = TOKEN.findall(tail.strip().rstrip(";"))
    spec: dict = {
        "schema": schema,
        "name": name,
        "query": query,
        "auto": True,
        "hyperparameters": None,
        "settings": {},
    }
    seen: list[str] = []
    pos = 0

    def take(what: str) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ModelStatementError(f"syntax error at end of input: {what} expected")
        pos += 1
        return tokens[pos - 1]

    while pos < len(tokens):
        keyword = take("a keyword").upper()
        if keyword not in CLAUSE_ORDER:
            raise ModelStatementError(f'syntax error at or near "{tokens[pos - 1]}"')
        if seen and (keyword in seen or CLAUSE_ORDER[keyword] < CLAUSE_ORDER[seen[-1]]):
            raise ModelStatementError(
                f'syntax error at or near "{tokens[pos - 1]}" (rehearsal: {keyword} after '
                f"{seen[-1]}; CREATE MODEL keywords must follow the documented order, "
                f"{CREATE_MODEL_DOC})"
            )
        seen.append(keyword)
        if keyword == "TARGET":
            spec["target"] = ident(take("the target column"))
        elif keyword == "FUNCTION":
            fschema, spec["function"] = split_name(take("the function name"))
            spec["function_schema"] = fschema
            if pos < len(tokens) and tokens[pos] == "(":
                types = []
                while take("a data type") != ")":
                    types.append(tokens[pos - 1])
                spec["function_types"] = " ".join(types)
        elif keyword in ("RETURNS", "SAGEMAKER"):
            raise ModelStatementError(
                f"rehearsal: bring-your-own-model ({keyword}) is not rehearsed"
            )
        elif keyword == "IAM_ROLE":
            role = take("DEFAULT or a role ARN")
            spec["iam_role"] = "default" if role.upper() == "DEFAULT" else _string(role, "IAM_ROLE")
        elif keyword == "AUTO":
            value = take("ON or OFF").upper()
            if value not in ("ON", "OFF"):
                raise ModelStatementError(
                    f'syntax error at or near "{tokens[pos - 1]}": AUTO ON or AUTO OFF'
                )
            spec["auto"] = value == "ON"
        elif keyword == "MODEL_TYPE":
            spec["model_type"] = take("a model type").upper()
            if spec["model_type"] not in MODEL_TYPES:
                raise ModelStatementError(
                    f"invalid MODEL_TYPE {tokens[pos - 1]}: one of {sorted(MODEL_TYPES)}"
                )
        elif keyword == "PROBLEM_TYPE":
            spec["problem_type"] = take("a problem type").upper()
            if spec["problem_type"] not in PROBLEM_TYPES:
                raise ModelStatementError(
                    f"invalid PROBLEM_TYPE {tokens[pos - 1]}: one of {sorted(PROBLEM_TYPES)}"
                )
        elif keyword == "OBJECTIVE":
            spec["objective"] = _string(take("an objective"), "OBJECTIVE")
        elif keyword == "PREPROCESSORS":
            spec["preprocessors"] = _string(take("a string"), "PREPROCESSORS")
        elif keyword == "HYPERPARAMETERS":
            if take("DEFAULT").upper() != "DEFAULT":
                raise ModelStatementError(
                    f'syntax error at or near "{tokens[pos - 1]}": '
                    "HYPERPARAMETERS DEFAULT [EXCEPT (...)]"
                )
            spec["hyperparameters"] = {}
            if pos < len(tokens) and tokens[pos].upper() == "EXCEPT":
                pos += 1
                if take("(") != "(":
                    raise ModelStatementError(f'syntax error at or near "{tokens[pos - 1]}"')
                while True:
                    key = take("a hyperparameter").upper()
                    spec["hyperparameters"][key] = _string(take("a value"), f"hyperparameter {key}")
                    sep = take(", or )")
                    if sep == ")":
                        break
                    if sep != ",":
                        raise ModelStatementError(f'syntax error at or near "{sep}"')
        elif keyword == "SETTINGS":
            if take("(") != "(":
                raise ModelStatementError(f'syntax error at or near "{tokens[pos - 1]}"')
            order = -1
            while True:
                key = take("a setting").upper()
                if key not in SETTINGS_ORDER:
                    raise ModelStatementError(
                        f'syntax error at or near "{tokens[pos - 1]}": unknown setting'
                    )
                if SETTINGS_ORDER.index(key) <= order:
                    raise ModelStatementError(
                        f'syntax error at or near "{tokens[pos - 1]}" '
                        "(rehearsal: SETTINGS must follow "
                        f"the documented order {', '.join(SETTINGS_ORDER)}; {CREATE_MODEL_DOC})"
                    )
                order = SETTINGS_ORDER.index(key)
                value = take("a value")
                if key in ("MAX_CELLS", "MAX_RUNTIME", "HORIZON", "FREQUENCY", "MAX_BATCH_ROWS"):
                    if not value.isdigit():
                        raise ModelStatementError(f"{key} takes an integer, got {value}")
                    spec["settings"][key.lower()] = int(value)
                elif key == "S3_GARBAGE_COLLECT":
                    if value.upper() not in ("ON", "OFF"):
                        raise ModelStatementError(
                            f"S3_GARBAGE_COLLECT takes ON or OFF, got {value}"
                        )
                    spec["settings"][key.lower()] = value.upper()
                else:
                    spec["settings"][key.lower()] = _string(value, key)
                sep = take(", or )")
                if sep == ")":
                    break
                if sep != ",":
                    raise ModelStatementError(f'syntax error at or near "{sep}"')
    validate(spec)
    return spec


def validate(spec: dict) -> None:
    """The rules of the CREATE MODEL page that go beyond keyword order."""
    if "function" not in spec:
        raise ModelStatementError("CREATE MODEL needs FUNCTION function_name")
    if "iam_role" not in spec:
        raise ModelStatementError("CREATE MODEL needs IAM_ROLE { default | 'arn:aws:iam::...' }")
    if spec.get("model_type") not in ("KMEANS",) and "target" not in spec:
        raise ModelStatementError("CREATE MODEL needs TARGET column_name for supervised learning")
    if not spec["settings"].get("s3_bucket"):
        raise ModelStatementError(
            "CREATE MODEL needs SETTINGS (S3_BUCKET 'bucket') with a bucket name"
        )
    objective = spec.get("objective")
    if spec["auto"]:
        if spec["hyperparameters"] is not None:
            raise ModelStatementError(
                "HYPERPARAMETERS is only allowed with AUTO OFF "
                '("required and only allowed for AUTO OFF")'
            )
        if spec.get("model_type") not in (None, "XGBOOST", "MLP", "LINEAR_LEARNER"):
            raise ModelStatementError(
                f"MODEL_TYPE {spec['model_type']} is not an AUTO ON model type "
                "(XGBOOST, MLP, LINEAR_LEARNER)"
            )
        if objective is not None and objective.upper() not in AUTO_ON_OBJECTIVES:
            raise ModelStatementError(
                f"invalid OBJECTIVE '{objective}' with AUTO ON: "
                "one of 'MSE', 'Accuracy', 'F1', 'F1Macro', 'AUC'"
            )
    else:
        if spec.get("model_type") != "XGBOOST":
            raise ModelStatementError(
                "AUTO OFF requires MODEL_TYPE XGBOOST "
                '("XGBoost is currently the only model type supported when AUTO is set to OFF")'
            )
        if "problem_type" in spec:
            raise ModelStatementError("PROBLEM_TYPE is not supported when AUTO OFF")
        if objective is None or objective not in XGBOOST_OBJECTIVES:
            raise ModelStatementError(
                "AUTO OFF MODEL_TYPE XGBOOST needs an XGBoost OBJECTIVE "
                f"({', '.join(sorted(XGBOOST_OBJECTIVES))}), got {objective!r}"
            )
        if spec["hyperparameters"] is None:
            raise ModelStatementError(
                "HYPERPARAMETERS is required with AUTO OFF "
                '("required and only allowed for AUTO OFF")'
            )
        for key, value in spec["hyperparameters"].items():
            if key == "OBJECTIVE":
                raise ModelStatementError(
                    "HYPERPARAMETERS takes every XGBoost one except OBJECTIVE"
                )
            low, high = XGBOOST_RANGES.get(key, (None, None))
            if low is not None and not low <= float(value) <= high:
                raise ModelStatementError(
                    f"hyperparameter {key} '{value}' is outside its range [{low}, {high}]"
                )
        if spec.get("preprocessors") is None or spec["preprocessors"].lower() != "none":
            raise ModelStatementError(
                "AUTO OFF requires PREPROCESSORS 'none' "
                "(\"required for AUTO OFF, when it has to be 'none'\")"
            )


def _literal(value) -> str:
    if value is None:
        return "null"
    return "'" + str(value).replace("'", "''") + "'"


def create_model_sql(sql: str) -> str:
    """The SQL the bridge forwards for a CREATE MODEL (ModelStatementError when invalid)."""
    spec = parse_create_model(sql)
    stored = {k: v for k, v in spec.items() if k not in ("schema", "name", "query")}
    return (
        f"select redshift_shim.create_model({_literal(spec['schema'])}, {_literal(spec['name'])}, "
        f"{_literal(spec['query'])}, {_literal(spec.get('target'))}, "
        f"{_literal(spec.get('function_schema'))}, {_literal(spec['function'])}, "
        f"{_literal(json.dumps(stored))}::jsonb)"
    )


def drop_model_sql(body: str) -> str:
    """DROP MODEL [IF EXISTS] [schema.]name -> redshift_shim.drop_model(...)."""
    m = re.match(rf"drop\s+model\s+(if\s+exists\s+)?({NAME})\s*;?\s*$", body, re.I | re.S)
    if not m:
        raise ModelStatementError(f"syntax error in DROP MODEL: {body[:80]}")
    schema, name = split_name(m.group(2))
    return (
        f"select redshift_shim.drop_model({_literal(schema)}, {_literal(name)}, "
        f"{'true' if m.group(1) else 'false'})"
    )


def show_model_sql(body: str) -> str:
    """SHOW MODEL ALL | [schema.]name -> redshift_shim.show_model_all() / show_model(...)."""
    m = re.match(rf"show\s+model\s+({NAME})\s*;?\s*$", body, re.I | re.S)
    if not m:
        raise ModelStatementError(f"syntax error in SHOW MODEL: {body[:80]}")
    if m.group(1).lower() == "all":
        return "select * from redshift_shim.show_model_all()"
    schema, name = split_name(m.group(1))
    return f"select * from redshift_shim.show_model({_literal(schema)}, {_literal(name)})"
