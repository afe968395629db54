"""Bring your own LSTM: a PyTorch network as a block diagram, out to ONNX, and
the gate-order mistake that runs without an error, caught by the diagnosis.

Needs the extra [torch] (and [onnx] for the ONNX part); without it, it says so
and stops.
"""

import importlib.util

import numpy as np

import blocksim_lstm as bl
from blocksim_lstm import interop

if importlib.util.find_spec("torch") is None:
    print("skipped: PyTorch is not installed (pip install 'blocksim-lstm[torch]')")
    raise SystemExit(0)

import torch  # noqa: E402

# A two-layer nn.LSTM + nn.Linear with random weights and initial states.
torch.manual_seed(0)
lstm = torch.nn.LSTM(2, 4, num_layers=2, batch_first=True, dtype=torch.float64)
fc = torch.nn.Linear(4, 1, dtype=torch.float64)
h0 = torch.randn(2, 1, 4, dtype=torch.float64)
c0 = torch.randn(2, 1, 4, dtype=torch.float64)
u = np.random.default_rng(0).standard_normal((30, 2))
with torch.no_grad():
    y_torch = fc(lstm(torch.from_numpy(u)[None], (h0, c0))[0])[0].numpy()

layers = interop.torch_layers(lstm, fc, h0=h0, c0=c0)
diagram = bl.build_stacked_diagram(layers, u)
run = diagram.run()
print(f"PyTorch vs block diagram: max |dy| = {np.abs(run.y - y_torch).max():.1e}")
print("per-wire cross-check passed:", bl.crosscheck_diagram(diagram, run=run).passed)
for k, p in enumerate(layers, start=1):
    p.save(f"layer{k}.npz")
np.save("u.npy", u)
np.save("y_torch.npy", y_torch)

# Out to ONNX, run by onnxruntime (float32).
if importlib.util.find_spec("onnxruntime") is not None:
    import onnxruntime as ort

    path = interop.write_onnx(layers, "net.onnx")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    y_onnx = sess.run(None, {"u": u[:, None].astype(np.float32)})[0][:, 0]
    print(
        f"onnxruntime vs block diagram: max |dy| = {np.abs(y_onnx - run.y).max():.1e}"
    )

# The classic silent bug: the last layer's blocks copied in ONNX's order i, o, f, c.
last = layers[-1]
copied = {
    **last.arrays(),
    **{k: interop.reorder_blocks(getattr(last, k), "ifgo", "iofc") for k in "WRb"},
}
h_in = bl.reference_cell(layers[0], u).h  # what the last layer sees
print(interop.diagnose_gate_order(copied, h_in, y_torch).message("copied.npz", "y"))
