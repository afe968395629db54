"""``blocksim-lstm train``: train the LSTM + FC network (Adam, full batch)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

# the original's options for its two runs (SPEC section 5)
ORIGINAL = {
    "calculated": {"lr": 1e-4, "drop_factor": 0.99},
    "random": {"lr": 0.04, "drop_factor": 0.98},
}


def _threshold(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(
            f"expected a positive number or inf, got {text}"
        )
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--init",
        default="calculated",
        metavar="calculated|random|FILE.npz",
        help="starting weights: the seed plant's calculated weights (default), "
        "seeded uniform [0,1) weights, or a weights .npz",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="total epochs (default 10000; with --resume: the run's own)",
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="initial learning rate (default: the original's, 1e-4 from calculated "
        "weights, 0.04 otherwise)",
    )
    parser.add_argument(
        "--drop-factor",
        type=float,
        default=None,
        help="multiply the rate by this every --drop-period epochs (default: the "
        "original's, 0.99 from calculated weights, 0.98 otherwise)",
    )
    parser.add_argument("--drop-period", type=int, default=100, help="default 100")
    parser.add_argument(
        "--grad-threshold",
        type=_threshold,
        default=1.0,
        help="gradient L2-norm threshold; 'inf' disables clipping (default 1)",
    )
    parser.add_argument(
        "--clip",
        choices=("l2norm", "global-l2norm"),
        default="l2norm",
        help="per array (MATLAB's default) or all arrays together",
    )
    parser.add_argument(
        "--l2",
        type=float,
        default=0.0,
        help="L2 regularization on W, R, F (default 0; MATLAB 1e-4)",
    )
    parser.add_argument(
        "--freeze",
        default="",
        metavar="W,R,...",
        help="arrays not trained, among W, R, b, F, bF",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the default data and of random weights",
    )
    parser.add_argument(
        "--units",
        type=int,
        default=5,
        help="units Nn for --init random (default 5 = nx + nu)",
    )
    parser.add_argument(
        "--scl",
        type=float,
        default=1e-3,
        help="scale of the calculated weights (default 1e-3)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        metavar="FILE.npz",
        help="training data: arrays u (T, Ni) and y (T, No), or "
        "batched (B, T, .); default: the seed's plant, 1001 samples",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="write weights.npz, loss.csv, loss.png, summary.json and checkpoints here",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="continue the run in DIR from its last checkpoint "
        "(--epochs may raise the total; other options are the run's)",
    )
    parser.add_argument(
        "--verbose-every",
        type=int,
        default=500,
        help="table row every N epochs; 0 for none (default 500)",
    )
    parser.add_argument(
        "--checkpoint-every",
        type=int,
        default=500,
        help="epochs between checkpoints (default 500)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the summary as JSON on stdout (table on stderr)",
    )


def _initial(args: argparse.Namespace, ni: int, no: int):
    from ..parameters import LSTMParams
    from ..training import calculated_weights

    if args.init == "calculated":
        p = calculated_weights(args.scl)
        if (p.ni, p.no) != (ni, no):
            raise ValueError(
                f"--init calculated: the seed plant's weights need data with Ni=1 and "
                f"No=1, got Ni={ni}, No={no}; use --init random or a weights file"
            )
        return p
    if args.init == "random":
        return LSTMParams.random(args.units, ni, no, seed=args.seed, states=False)
    path = Path(args.init)
    if path.suffix != ".npz":
        raise ValueError(
            "--init: expected 'calculated', 'random' or a weights .npz, "
            f"got {args.init!r}"
        )
    return LSTMParams.load(path)


def _options(args: argparse.Namespace):
    from ..training import TrainOptions

    orig = ORIGINAL.get(args.init, ORIGINAL["random"])
    frozen = tuple(a for a in args.freeze.split(",") if a)
    return TrainOptions(
        epochs=10000 if args.epochs is None else args.epochs,
        lr=orig["lr"] if args.lr is None else args.lr,
        drop_factor=orig["drop_factor"]
        if args.drop_factor is None
        else args.drop_factor,
        drop_period=args.drop_period,
        grad_threshold=args.grad_threshold,
        clip=args.clip,
        l2=args.l2,
        frozen=frozen,
    )


def _write_figures(out: Path, result) -> None:
    from ..figures import save_figure
    from ..training.plots import plot_loss

    fig = plot_loss(
        result.losses,
        title=f"Training loss, {result.epochs} epochs, lr {result.options.lr:g}",
    )
    save_figure(fig, out / "loss.png")


def run(args: argparse.Namespace) -> int:
    from ..training import NonFiniteLossError, load_data, resume, seed_data, train

    log = sys.stderr if args.json else sys.stdout
    common = {
        "checkpoint_every": args.checkpoint_every,
        "verbose_every": args.verbose_every,
        "log": log,
    }
    try:
        if args.resume is not None:
            result = resume(args.resume, epochs=args.epochs, **common)
            out = args.resume
        else:
            u, y = (
                seed_data(1001, seed=args.seed)
                if args.data is None
                else load_data(args.data)
            )
            ni = u.shape[-1] if u.ndim > 1 else 1
            no = y.shape[-1] if y.ndim > 1 else 1
            params = _initial(args, ni, no)
            result = train(params, u, y, _options(args), out=args.out, **common)
            out = args.out
    except NonFiniteLossError as exc:
        print(f"blocksim-lstm train: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        where = args.resume or args.out
        if where is not None:
            print(f"resume with: blocksim-lstm train --resume {where}", file=sys.stderr)
        raise
    summary = {"init": str(args.init), **result.summary()}
    if out is not None:
        _write_figures(out, result)
        summary["out"] = str(out)
    if args.json:
        print(json.dumps(summary, indent=2, allow_nan=True))
    else:
        best = (
            "the start"
            if summary["start_was_best"]
            else f"epoch {summary['best_epoch']}"
        )
        print(
            f"{result.epochs} epochs in {result.elapsed_s:.2f} s "
            f"({summary['ms_per_epoch']:.3f} ms/epoch); loss first "
            f"{summary['first_loss']:.6g}, final {summary['final_loss']:.6g}, best "
            f"{summary['best_loss']:.6g} at {best}"
        )
        if out is not None:
            print(f"wrote weights.npz, loss.csv, loss.png, summary.json to {out}")
    return 0 if math.isfinite(float(result.losses[-1])) else 1
