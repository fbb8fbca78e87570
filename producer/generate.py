"""`generate`: the world's labelled history and its customer_info, written as files."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.errors import UserError
from producer.arguments import MAX_CUSTOMER_DAYS
from producer.world import WorldConfig, build_world


@dataclass(frozen=True)
class Generated:
    history_path: Path
    customers_path: Path
    transactions: int
    frauds: int
    by_scenario: tuple[int, int, int]
    customers: int
    seconds: float

    def summary(self, days: int) -> str:
        one, two, three = self.by_scenario
        return (
            f"wrote {self.transactions:,} transactions ({self.frauds:,} frauds, "
            f"{self.frauds / self.transactions:.2%}; scenarios 1/2/3: {one:,}/{two:,}/{three:,}) "
            f"over {days} days to {self.history_path}\n"
            f"wrote {self.customers:,} customers to {self.customers_path} in {self.seconds:.1f} s"
        )


def generate_files(config: WorldConfig, days: int, out: Path, file_format: str) -> Generated:
    """Write cust_payment_tx_history and customer_info (parquet or csv) into ``out``."""
    import pyarrow as pa

    from producer.customer_info import generate_customer_info
    from producer.files import transactions_table, write_table
    from producer.history import generate_history

    if config.customers * days > MAX_CUSTOMER_DAYS:  # both `generate` and the demo come here
        raise UserError(
            f"--customers {config.customers:,} x --days {days:,} is more than"
            f" {MAX_CUSTOMER_DAYS:,} customer-days, more than a 24 GiB machine holds"
        )
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a folder")
    try:  # before the work: a folder that cannot be made fails now, in one line
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot make the --out folder {out}: {error.strerror}") from None
    started = time.perf_counter()
    history = generate_history(build_world(config), days)
    if len(history) == 0:
        raise UserError(
            f"this world makes no transaction in {days} day(s) ({config.customers} customers, "
            f"{config.terminals} terminals within radius {config.radius}): raise --customers, "
            "--terminals, --radius or --days"
        )
    history_path = out / f"cust_payment_tx_history.{file_format}"
    customers_path = out / f"customer_info.{file_format}"
    write_table(transactions_table(history, config.start), history_path)
    write_table(
        pa.Table.from_pandas(generate_customer_info(config), preserve_index=False), customers_path
    )
    by_scenario = np.bincount(history.tx_fraud_scenario, minlength=4)
    return Generated(
        history_path=history_path,
        customers_path=customers_path,
        transactions=len(history),
        frauds=int(history.tx_fraud.sum()),
        by_scenario=(int(by_scenario[1]), int(by_scenario[2]), int(by_scenario[3])),
        customers=config.customers,
        seconds=time.perf_counter() - started,
    )
