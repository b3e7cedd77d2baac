"""Prometheus metrics for `/metrics`, Frigate-style: what an operator graphs and alerts on.

Counters and gauges are read from the latest stats snapshot at scrape time, so they always agree
with `/api/stats`; only the inference histogram needs per-frame observations, which join it when
the snapshot is taken (`settle`), so one scrape's counts and timings are of the same frames. Each
sink has its own registry, so several can live in one process (tests) without clashing.
"""

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from edge.events import FrameResult
from edge.web.live import LiveView

# Classifying a few 28x28 crops with the int8 model takes ~0.2-5 ms on a Pi; the top buckets
# catch a stalled or thermally throttled CPU.
INFERENCE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)
INFERENCE_STAGE = "read"


class _StatsCollector(Collector):
    def __init__(self, live: LiveView) -> None:
        self._live = live

    def collect(self) -> Iterator[Metric]:
        stats = self._live.stats
        if not stats:
            return
        for name, doc in (
            ("frames", "Frames read (the failed ones are counted apart)"),
            ("skipped_frames", "Frames the camera delivered while the recognizer was busy"),
            ("failed_frames", "Frames rejected as unusable"),
            ("readings", "Stable readings emitted"),
        ):
            yield CounterMetricFamily(f"edge_digits_{name}", doc, value=stats[name])
        yield GaugeMetricFamily(
            "edge_digits_camera_fps", "Frames per second from the camera", value=stats["camera_fps"]
        )
        yield GaugeMetricFamily(
            "edge_digits_processed_fps", "Frames per second processed", value=stats["processed_fps"]
        )
        stages = GaugeMetricFamily(
            "edge_digits_stage_milliseconds",
            "Recent median time per pipeline stage",
            labels=["stage"],
        )
        for stage, ms in stats["stage_ms"].items():
            stages.add_metric([stage], ms)
        yield stages
        info = GaugeMetricFamily(
            "edge_digits_model_info",
            "The model in use (value is always 1)",
            labels=["model", "precision", "source"],
        )
        precision = "int8" if stats["quantized"] else "float"
        info.add_metric([stats["model"], precision, stats["source"]], 1)
        yield info
        yield GaugeMetricFamily(
            "edge_digits_web_viewers", "Clients watching the live stream", value=self._live.viewers
        )
        yield CounterMetricFamily(
            "edge_digits_web_encoded_frames",
            "Annotated JPEGs made for the live stream (once per frame, however many viewers)",
            value=self._live.encoded_frames,
        )


class WebMetrics:
    """The registry behind `/metrics`."""

    def __init__(self, live: LiveView) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_StatsCollector(live))
        self._inference = Histogram(
            "edge_digits_inference_seconds",
            "Time to read one frame's lines of writing",
            buckets=INFERENCE_BUCKETS,
            registry=self.registry,
        )
        self._unsettled: list[float] = []  # seconds, since the last stats snapshot

    def observe(self, result: FrameResult) -> None:
        """Record one frame's inference time (frames without digits ran no inference), shown
        from the next `settle`."""
        ms = result.timings_ms.get(INFERENCE_STAGE)
        if ms is not None and result.digits:
            self._unsettled.append(ms / 1000.0)

    def settle(self) -> None:
        """Put the timings recorded so far in the histogram: call it as the stats snapshot is
        taken (a scrape showed 251 timings of 242 frames, the counts a second behind)."""
        for seconds in self._unsettled:
            self._inference.observe(seconds)
        self._unsettled.clear()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
