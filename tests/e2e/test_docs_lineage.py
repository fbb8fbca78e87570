"""The docs site as a person sees it: `dbt docs generate` offline on the local target, served
on 127.0.0.1 and opened in headless Chromium (Debian's, driven by playwright). The lineage graph
of the predictions reaches back to the Kinesis stream, the history and customer_info, and
forward to the exposures. No request leaves loopback: any other is blocked and reported.

Chromium comes from Debian (`make browser`, or `apt-get install -y --no-install-recommends
chromium`); playwright never downloads a browser of its own here."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fraud_detection.testing.dbt import PROJECT_DIR
from fraud_detection.testing.dbt_docs import PACKAGE, run_dbt

CHROMIUM = Path("/usr/bin/chromium")
INSTALL = "apt-get install -y --no-install-recommends chromium"
# Without the background-networking flags Chromium calls Google's services at start.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = PROJECT_DIR / "target" / "test-artifacts"
PREDICTIONS = f"model.{PACKAGE}.cust_payment_tx_fraud_predictions"
UPSTREAM = {
    f"source.{PACKAGE}.kinesis.cust_payment_txn_stream",
    f"model.{PACKAGE}.cust_payment_tx_stream",
    f"model.{PACKAGE}.stg_kinesis__transactions",
    f"source.{PACKAGE}.history.cust_payment_tx_history",
    f"model.{PACKAGE}.cust_payment_tx_history",
    f"seed.{PACKAGE}.customer_info",
    f"model.{PACKAGE}.int_scoring_features",
    f"model.{PACKAGE}.cust_cc_txn_fd",
}
DOWNSTREAM = {
    f"model.{PACKAGE}.fraud_alerts",
    f"exposure.{PACKAGE}.fraud_alerts_flow",
    f"exposure.{PACKAGE}.demo_report",
}
# A path from the stream, one from the history, and the exposures, edge by edge.
EDGES = {
    (
        f"source.{PACKAGE}.kinesis.cust_payment_txn_stream",
        f"model.{PACKAGE}.cust_payment_tx_stream",
    ),
    (f"model.{PACKAGE}.stg_kinesis__transactions", f"model.{PACKAGE}.int_scoring_features"),
    (
        f"source.{PACKAGE}.history.cust_payment_tx_history",
        f"model.{PACKAGE}.cust_payment_tx_history",
    ),
    (f"model.{PACKAGE}.int_scoring_features", PREDICTIONS),
    (f"seed.{PACKAGE}.customer_info", PREDICTIONS),
    (PREDICTIONS, f"model.{PACKAGE}.fraud_alerts"),
    (f"model.{PACKAGE}.fraud_alerts", f"exposure.{PACKAGE}.fraud_alerts_flow"),
    (PREDICTIONS, f"exposure.{PACKAGE}.demo_report"),
}
# The graph as cytoscape drew it (the docs app's graph service holds the instance).
DRAWN = """() => {
    const graph = angular.element(document.body).injector().get('graph');
    const cy = graph.graph_element;
    const box = {w: cy.width(), h: cy.height()};
    const onCanvas = (n) => {
        const b = n.renderedBoundingBox();
        return b.x2 > 0 && b.y2 > 0 && b.x1 < box.w && b.y1 < box.h;
    };
    return {
        orientation: graph.orientation,
        nodes: cy.nodes(':visible').filter(onCanvas).map((n) => n.id()),
        edges: cy.edges(':visible').map((e) => [e.source().id(), e.target().id()]),
    };
}"""


def chromium_or_skip() -> Path:
    """Debian's Chromium; installed here if missing and apt-get can, else the test skips."""
    if not CHROMIUM.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        for command in (INSTALL, f"apt-get update && {INSTALL}"):
            subprocess.run(command, shell=True, capture_output=True, timeout=900, check=False)
            if CHROMIUM.exists():
                break
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed: run `make browser` (or `{INSTALL}`)")
    return CHROMIUM


@pytest.fixture(scope="module")
def docs_site(tmp_path_factory) -> Path:
    """The docs site of the local target, generated offline: the project compiled against a
    throwaway, empty DuckDB file, and an empty catalog (lineage needs none), so nothing is
    built, and no Kinesis endpoint or cloud is contacted."""
    work = tmp_path_factory.mktemp("docs_site")
    target = run_dbt(work, "docs", "generate", "--empty-catalog")
    assert {"index.html", "manifest.json", "catalog.json"} <= {p.name for p in target.iterdir()}
    return target


@pytest.fixture
def served(docs_site) -> str:
    """The site served on 127.0.0.1 (a free port), stopped after the test."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(docs_site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_the_lineage_of_the_predictions_reaches_the_stream_history_and_exposures(served, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_or_skip()
    origin = urlsplit(served)
    requested: list[str] = []
    blocked: list[str] = []

    def loopback_only(route) -> None:
        url = route.request.url
        requested.append(url)
        parts = urlsplit(url)
        if (parts.hostname, parts.port) == (origin.hostname, origin.port):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1600, "height": 1000}, service_workers="block"
            )
            context.route("**/*", loopback_only)
            page = context.new_page()
            page.goto(f"{served}/index.html#!/model/{PREDICTIONS}")
            page.wait_for_function(
                "() => window.angular && angular.element(document.body).injector()"
                " .get('graph').graph.elements.length > 0",
                timeout=30_000,
            )
            page.get_by_role("heading", name="cust_payment_tx_fraud_predictions").wait_for()

            # The model page's lineage button, then the full-screen graph: +predictions+.
            page.get_by_title("View Lineage Graph").click()
            page.locator('[title="View Fullscreen"]:visible').first.click()
            page.wait_for_function(
                "() => angular.element(document.body).injector().get('graph').orientation"
                " === 'fullscreen'"
            )
            page.wait_for_function(f"() => ({DRAWN})().nodes.length >= {len(UPSTREAM) + 4}")
            page.mouse.move(5, 995)  # away from the buttons' tooltips
            page.wait_for_timeout(500)
            drawn = page.evaluate(DRAWN)
            url = page.url
            selector = page.locator("input:visible").evaluate_all(
                "inputs => inputs.map(i => i.value)"
            )
            screenshot = tmp_path / "lineage.png"
            page.screenshot(path=str(screenshot))
        finally:
            browser.close()

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot, ARTIFACTS / "lineage.png")

    assert "g_i=%2Bcust_payment_tx_fraud_predictions%2B" in url
    assert "+cust_payment_tx_fraud_predictions+" in selector
    nodes = set(drawn["nodes"])
    assert PREDICTIONS in nodes
    assert nodes >= UPSTREAM, sorted(UPSTREAM - nodes)
    assert nodes >= DOWNSTREAM, sorted(DOWNSTREAM - nodes)
    edges = {tuple(edge) for edge in drawn["edges"]}
    assert edges >= EDGES, sorted(EDGES - edges)
    # Nothing unrelated: the selection is the predictions' ancestors and descendants.
    assert f"model.{PACKAGE}.customer_transformations" not in nodes

    assert requested, "the route saw no request"
    assert blocked == [], f"requests beyond loopback (blocked): {blocked}"
