"""The whole study as one report (``blocksim-lstm report``)."""

from .runner import ReportResult as ReportResult
from .runner import write_report as write_report

__all__ = [
    "ReportResult",
    "write_report",
]
