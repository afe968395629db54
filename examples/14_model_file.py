"""The model as a file: write a .bd, run it with bdsim's own runner, edit it, check it.

A ``.bd`` file is what bdsim's editor (bdedit) saves and its runner (bdrun)
runs. Here: write the seed's diagram as one, run it with ``blocksim-lstm run``
(bdsim's bdrun underneath), load it back and cross-check every wire, then edit
the file as text, as a user would, and let the cross-check name the fault.
"""

import json
import os
import tempfile
from pathlib import Path

import numpy as np

import blocksim_lstm as bl
from blocksim_lstm.cli import main
from blocksim_lstm.modelfile import model_text

folder = Path(tempfile.mkdtemp())
os.chdir(folder)  # the model's logger writes y into the folder bdrun runs in
params, u = bl.seed_problem()
model = folder / "lstm.bd"
model.write_text(model_text(bl.build_lstm_diagram(params, u), y_file="y.npy"))
print(f"wrote {model.name}: {len(json.loads(model.read_text())['blocks'])} blocks")

# 1. run it with bdsim's own runner; the logger writes y
main(["run", str(model)])
y = np.load("y.npy")
want = bl.build_lstm_diagram(params, u).run().y
print(
    f"bdrun's y vs the diagram built in Python: max |diff| {np.abs(y - want).max():.1e}"
)

# 2. load it back: weights from its blocks, every wire against the reference
loaded = bl.load_model(model)
print(f"weights read back equal? {np.array_equal(loaded.layers[0].W, params.W)}")
report = bl.crosscheck_diagram(loaded)
print(report.table().splitlines()[-2])

# 3. edit the file as text: the input and forget gates trade places at the products
doc = json.loads(model.read_text())
socket = {b["title"]: b["outputs"][0]["id"] for b in doc["blocks"] if b["outputs"]}
i, f = socket["logsig_i"], socket["logsig_f"]
swap = {
    f'"start_socket": {i},': f'"start_socket": {f},',
    f'"start_socket": {f},': f'"start_socket": {i},',
}
lines = []
for line in model.read_text().splitlines(keepends=True):
    key = line.strip()
    lines.append(line.replace(key, swap[key]) if key in swap else line)
edited = "".join(lines)
(folder / "edited.bd").write_text(edited)
broken = bl.crosscheck_diagram(bl.load_model(folder / "edited.bd"))
print("edited model passed?", broken.passed)
print(broken.first_divergence.describe())
