"""The whole study in one call: write the report (quick mode here) and print the
claims table, each claim of the original beside what was measured."""

import os
import tempfile
from pathlib import Path

from blocksim_lstm.report import write_report

quick = os.environ.get("BLOCKSIM_LSTM_QUICK", "1") == "1"
out = Path(tempfile.mkdtemp()) / "report"
result = write_report(out, quick=quick, seed=0)
print(f"report: {out / 'report.html'}")
for row in result.summary["sections"]["claims"]["claims"]:
    print(f"- [{row['verdict']}] {row['claim']}\n    {row['measured']}")
