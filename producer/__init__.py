"""Card-transaction producer: simulates the Fraud Detection Handbook's world and publishes it
to a Kinesis data stream (on AWS, or the local kinesalite one)."""

import os

# scikit-learn's trees run on OpenMP, whose threads spin while they wait for work. Beside
# DuckDB's own threads, or any other busy process, on a 2-core machine that spinning took a
# model fit from 3.5 s to 54 s and 50 predictions of 1,000 rows from 0.3 s to 50 s (measured
# here). Waiting passively costs nothing when the cores are free. It must be set before the
# OpenMP runtime loads, so here, before anything of ours imports scikit-learn.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
