"""Stream records drawn from every class of good and bad input the project has met, for fuzz
tests that send the same records to both targets: seeded, so the same seed gives the same
bytes. Not drawn: a key named twice inside a nested object, which Redshift's JSON_PARSE
refuses and DuckDB's parser takes (its json_keys() sees only the top level); the records of
the stream are flat, and docs/deploy.md lists this difference."""

from __future__ import annotations

import json
import random

from producer.records import WIRE_KEYS

# Values a field's text may take at its edges: each lands on one rule or another.
BOUNDARY_NUMBERS = [
    "0", "-0", "1e400", "-1e400", "9223372036854775807", "9223372036854775808",
    "99999999999999999999", "0.005", "1E2", "1.5", "-5", "true", "null", '""', '"NaN"', '"7"',
]  # fmt: skip
BOUNDARY_TIMES = [
    "2026-11-28 24:00:00", "2026-02-30 10:00:00", "2026-11-28T10:00:00", "2026-11-28 10:00",
    "2026-11-28 10:00:00.1234567", "2026-11-28 10:00:00.250000", "2999-01-01 00:00:00",
    "yesterday", "",
]  # fmt: skip
EXACT_AMOUNTS = ["90071992547409.93", "1234567890123456.78", "0.07", "12.50", "9999999999999999.99"]


def transaction(rng: random.Random, transaction_id: int) -> dict[str, object]:
    return {
        "TRANSACTION_ID": transaction_id,
        "TX_DATETIME": f"2026-11-28 10:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
        "CUSTOMER_ID": rng.randrange(1, 500),
        "TERMINAL_ID": rng.randrange(1, 900),
        "TX_AMOUNT": round(rng.uniform(0.5, 300), 2),
        "TX_TIME_SECONDS": rng.randrange(86_400),
        "TX_TIME_DAYS": 0,
    }


def text(fields: dict[str, object], raw: dict[str, str] | None = None) -> str:
    """JSON text of ``fields``, with the values in ``raw`` written as given (not encoded)."""
    parts = [f'"{key}": {json.dumps(value)}' for key, value in fields.items()]
    parts += [f'"{key}": {value}' for key, value in (raw or {}).items()]
    return "{" + ", ".join(parts) + "}"


def fuzz_records(seed: int, count: int, first_id: int) -> list[bytes]:
    """``count`` records, ids from ``first_id``: valid ones, redeliveries and conflicting
    duplicates of earlier ones, and every kind of malformed record."""
    rng = random.Random(seed)
    records: list[bytes] = []
    valid: list[dict[str, object]] = []
    for n in range(count):
        fields = transaction(rng, first_id + n)
        kind = rng.randrange(20)
        key = rng.choice(WIRE_KEYS)
        if kind == 0 and valid:  # a redelivery: the same bytes again
            record = text(rng.choice(valid))
        elif kind == 1 and valid:  # the same id, another amount
            record = text({**rng.choice(valid), "TX_AMOUNT": 99.99})
        elif kind == 2:
            record = text({k: v for k, v in fields.items() if k != key})
        elif kind == 3:
            record = text(
                {k: v for k, v in fields.items() if k != key}, {key: rng.choice(BOUNDARY_NUMBERS)}
            )
        elif kind == 4:
            record = text(
                {k: v for k, v in fields.items() if k != "TX_DATETIME"},
                {"TX_DATETIME": json.dumps(rng.choice(BOUNDARY_TIMES))},
            )
        elif kind == 5:
            record = text(
                {k: v for k, v in fields.items() if k != "TX_AMOUNT"},
                {"TX_AMOUNT": rng.choice(EXACT_AMOUNTS)},
            )
        elif kind == 6:  # a key named twice
            record = text(fields, {key: json.dumps(fields[key])})
        elif kind == 7:  # a key outside the seven named twice
            record = text(fields, {"note": '"a"'})[:-1] + ', "note": "b"}'
        elif kind == 8:  # what DuckDB's parser takes and a strict one does not
            record = rng.choice(
                [
                    text(fields)[:-1] + ",}",
                    text(fields, {"score": "NaN"}),
                    text(fields, {"score": "-Infinity"}),
                ]
            )
        elif kind == 9:
            record = rng.choice(
                [f"TRANSACTION_ID={fields['TRANSACTION_ID']}", "[1, 2]", "42", '"a"', "{", "null"]
            )
        elif kind == 10:
            records.append(text(fields).encode()[:-2] + b'"\xff\xfe"}')
            continue
        elif kind == 11 and n % 7 == 0:  # beyond what Redshift's json_serialize reads
            record = text({**fields, "note": "x" * 70_000})
        elif kind == 12:  # the AWS sample producer's extra keys
            record = text({**fields, "index": n, "TX_FRAUD": 0, "TX_FRAUD_SCENARIO": 0})
        else:
            record = text(fields)
            valid.append(fields)
        records.append(record.encode())
    return records
