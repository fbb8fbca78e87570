"""What runs beside the warehouse: the dbt-duckdb plugins, the local learner, the refresh loop,
alerts, and the demo with its report. The producer (producer/) feeds the stream it reads."""

import os

# scikit-learn's and XGBoost's trees run on OpenMP, whose threads spin while they wait for
# work. Beside DuckDB's own threads, or any other busy process, on a 2-core machine that
# spinning took a model fit from 3.5 s to 54 s and 50 predictions of 1,000 rows from 0.3 s to
# 50 s (measured here). Waiting passively costs nothing when the cores are free. It must be set
# before the OpenMP runtime loads, so here, before anything of ours imports a learner.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
