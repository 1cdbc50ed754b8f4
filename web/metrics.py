"""GET /metrics in Prometheus's format: the counters of `worker.metrics` (every process of this host
when PROMETHEUS_MULTIPROC_DIR is set) and the outbox read from the database at each scrape."""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from storage import outbox

from .state import app_state


def counters() -> CollectorRegistry:
    """This process's figures, or those of every process of the host in multiprocess mode."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


class OutboxFigures(Collector):
    def __init__(self, depth: int, age: float) -> None:
        self.depth, self.age = depth, age

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("ponto_slack_outbox_depth", "Messages waiting to be delivered", value=self.depth)
        yield GaugeMetricFamily(
            "ponto_slack_outbox_oldest_seconds", "Age of the oldest message waiting (0: none)", value=self.age
        )


async def metrics_endpoint(request: Request) -> Response:
    state = app_state(request)
    async with state.sessions() as session:
        depth, age = await outbox.waiting(session, now=state.clock())
    database = CollectorRegistry()
    database.register(OutboxFigures(depth, age))
    return Response(generate_latest(counters()) + generate_latest(database), media_type=CONTENT_TYPE_LATEST)


def serve_alone(port: int) -> None:
    """A worker's own /metrics (the counters; the outbox figures come from the web processes)."""
    start_http_server(port, registry=counters())
