"""``blocksim-lstm train``: train the LSTM + FC network (Adam, full batch)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from .._experiment import SCL, TRAINING_STEPS

# the original's options for its two runs (SPEC section 5)
ORIGINAL = {
    "calculated": {"lr": 1e-4, "drop_factor": 0.99},
    "random": {"lr": 0.04, "drop_factor": 0.98},
}

# options of a new run, with their defaults; --resume takes the run's own
NEW_RUN_DEFAULTS: dict[str, object] = {
    "init": "calculated",
    "lr": None,
    "drop_factor": None,
    "drop_period": 100,
    "grad_threshold": 1.0,
    "clip": "l2norm",
    "l2": 0.0,
    "freeze": "",
    "dtype": "float64",
    "seed": 0,
    "units": 5,
    "scl": SCL,
    "data": None,
    "out": None,
    "force": False,
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
        default=None,
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
    parser.add_argument("--drop-period", type=int, default=None, help="default 100")
    parser.add_argument(
        "--grad-threshold",
        type=_threshold,
        default=None,
        help="gradient L2-norm threshold; 'inf' disables clipping (default 1)",
    )
    parser.add_argument(
        "--clip",
        choices=("l2norm", "global-l2norm"),
        default=None,
        help="per array (MATLAB's default) or all arrays together",
    )
    parser.add_argument(
        "--l2",
        type=float,
        default=None,
        help="L2 regularization on W, R, F (default 0; MATLAB 1e-4)",
    )
    parser.add_argument(
        "--freeze",
        default=None,
        metavar="W,R,...",
        help="arrays not trained, among W, R, b, F, bF",
    )
    parser.add_argument(
        "--dtype",
        default=None,
        choices=("float64", "float32"),
        help="arithmetic of the forward and backward passes (default float64; "
        "float32 is faster for large --units, its loss differs; weights and "
        "Adam stay float64)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the default data and of random weights",
    )
    parser.add_argument(
        "--units",
        type=int,
        default=None,
        help="units Nn for --init random (default 5 = nx + nu)",
    )
    parser.add_argument(
        "--scl",
        type=float,
        default=None,
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
        help="write weights.npz, loss.csv, loss.png, summary.json and checkpoints here "
        "(a new or empty folder; a folder holding a run or other files needs --force)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        default=None,
        help="with --out: replace the run in DIR (its results and checkpoint), or "
        "write into a folder that holds other files",
    )
    parser.add_argument(
        "--resume",
        type=Path,
        metavar="DIR",
        help="continue the run in DIR from its last checkpoint, after checking that "
        "the checkpoint belongs to DIR's data and starting weights (--epochs may "
        "raise the total; the other training options are the run's own)",
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


def _check_args(args: argparse.Namespace) -> None:
    """Refuse options that cannot apply, before any work."""
    from .._validate import check_positive_int

    if args.resume is not None:
        given = [k for k in NEW_RUN_DEFAULTS if getattr(args, k) is not None]
        if given:
            names = ", ".join("--" + k.replace("_", "-") for k in given)
            raise ValueError(
                f"{names}: not with --resume (a resumed run keeps its own data, "
                "weights, options and folder; only --epochs, --checkpoint-every, "
                "--verbose-every and --json apply)"
            )
        return
    for k, default in NEW_RUN_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, default)
    if args.force and args.out is None:
        raise ValueError("--force: only with --out DIR")
    check_positive_int("--seed", args.seed, minimum=0)
    check_positive_int("--units", args.units)
    if args.epochs is not None:
        check_positive_int("--epochs", args.epochs)
    check_positive_int("--drop-period", args.drop_period)
    check_positive_int("--checkpoint-every", args.checkpoint_every, minimum=0)
    check_positive_int("--verbose-every", args.verbose_every, minimum=0)
    if args.out is not None:
        _check_inputs_outside_run(args)


def _check_inputs_outside_run(args: argparse.Namespace) -> None:
    """Refuse an input file that the run would overwrite in its folder."""
    from .._files import check_output_file
    from ..training.checkpoint import CHECKPOINT, DATA, INITIAL
    from ..training.loop import RESULT_FILES

    inputs = [("--data", args.data)]
    if args.init not in ORIGINAL:
        inputs.append(("--init", Path(args.init)))
    if not Path(args.out).is_dir():
        return
    for name in (DATA, INITIAL, CHECKPOINT, *RESULT_FILES):
        check_output_file(Path(args.out) / name, "--out", inputs=inputs)


def _initial(args: argparse.Namespace, ni: int, no: int, nb: int, nt: int):
    from .._parameters import LSTMParams
    from ..training import calculated_weights
    from ..training._memory import check_fits

    names = {
        "epochs": "--epochs",
        "units": "--units" if args.init == "random" else "--init",
        "data": "--data" if args.data is not None else "the seed data",
    }
    epochs = 10000 if args.epochs is None else args.epochs
    if args.init == "calculated":
        p = calculated_weights(args.scl)
        if (p.ni, p.no) != (ni, no):
            raise ValueError(
                f"--init calculated: the seed plant's weights need data with Ni=1 and "
                f"No=1, got Ni={ni}, No={no}; use --init random or a weights file"
            )
        check_fits(nb, nt, p.nn, ni, no, epochs, names=names)
        return p
    if args.init == "random":  # before the weights are allocated
        check_fits(nb, nt, args.units, ni, no, epochs, names=names)
        return LSTMParams.random(args.units, ni, no, seed=args.seed, states=False)
    path = Path(args.init)
    if path.suffix != ".npz":
        raise ValueError(
            "--init: expected 'calculated', 'random' or a weights .npz, "
            f"got {args.init!r}"
        )
    p = LSTMParams.load(path)
    check_fits(nb, nt, p.nn, p.ni, p.no, epochs, names=names)
    return p


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
        dtype=args.dtype,
    )


def _write_figures(out: Path, result) -> None:
    from .._figures import save_figure
    from ..training.plots import plot_loss

    fig = plot_loss(
        result.losses,
        title=f"Training loss, {result.epochs} epochs, lr {result.options.lr:g}",
    )
    save_figure(fig, out / "loss.png")


def _interrupted(where: Path | None) -> None:
    """Say truthfully whether the run can be resumed."""
    from ..training import resumable

    if where is None:
        return
    epoch = resumable(where)
    if epoch is None:
        print(
            f"no checkpoint was written in {where} yet: nothing to resume; "
            "start the run again",
            file=sys.stderr,
        )
    else:
        print(
            f"resume with: blocksim-lstm train --resume {where} "
            f"(checkpoint at epoch {epoch})",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    from ..training import NonFiniteLossError, load_data, resume, seed_data, train

    _check_args(args)
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
                seed_data(TRAINING_STEPS, seed=args.seed)
                if args.data is None
                else load_data(args.data)
            )
            ni = u.shape[-1] if u.ndim > 1 else 1
            no = y.shape[-1] if y.ndim > 1 else 1
            nb = u.shape[0] if u.ndim > 2 else 1
            nt = u.shape[-2] if u.ndim > 1 else u.shape[0]
            params = _initial(args, ni, no, nb, nt)
            result = train(
                params,
                u,
                y,
                _options(args),
                out=args.out,
                force=args.force,
                **common,
            )
            out = args.out
    except NonFiniteLossError as exc:
        print(f"blocksim-lstm train: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _interrupted(args.resume or args.out)
        raise
    summary = {"init": "resume" if args.resume else str(args.init), **result.summary()}
    if out is not None:
        try:  # a Ctrl-C here leaves the finished run's checkpoint: say so
            _write_figures(out, result)
        except KeyboardInterrupt:
            _interrupted(out)
            raise
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
