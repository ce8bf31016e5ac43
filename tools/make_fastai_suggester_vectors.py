#!/usr/bin/env python3
"""Writes the expected suggester results of tests/data/suggester_vectors.csv by
calling fastai's own suggestion functions (fastai.callback.schedule: minimum,
steep, valley, slide; fastai==2.8.12) on the committed curves
(tests/data/curves/*.csv). Only the forum "interval slide rule", which no
package ships, still comes from the numpy mirror in make_suggester_vectors.py.

Each curve's loss series is smooth_loss where the file has one, else loss
(autolr's LossSeries::Auto), trimmed as fastai's Learner.lr_find does:
[num_it//10 : -5] with num_it the number of points (or the row's skip_start /
skip_end), then cut at the first bad point. Where a fastai function raises
(IndexError, or RuntimeError from an empty argmin) the expected result is
"none", as autolr answers no LR there. fastai returns (lr, (lr, loss)); the
index is found as the one point whose lr is that lr.

Modes:
  default      fastai's functions on float64 tensors, cut at the first NaN or
               inf (the documented autolr semantics, see make_suggester_vectors.py):
               the C++ test checks these exactly. Writes
               tests/data/suggester_vectors.csv (identical to the numpy mirror's).
  --float32    the tensors lr_find hands them: fastai.torch_core.tensor(), which
               turns float64 into float32; still cut at NaN or inf. Same indices,
               lrs rounded to float32 (relative error <= 2**-24). Writes
               tests/data/suggester_vectors_fastai.csv.
  --nan-only   lr_find's cut, at the first NaN only: on inf_tail, steep and slide
               then answer in or next to the inf tail (autolr cuts there).
  --lr-find    both, exactly lr_find; needs --out.
  --out PATH   writes there instead.

Needs the pinned packages of tools/install-reference-packages:
  tools/install-reference-packages
  .deps/torch-2.15.0/bin/python tools/make_fastai_suggester_vectors.py [--float32]
"""
import argparse
import csv
import glob
import os
import sys
import warnings

warnings.filterwarnings("ignore")  # requests' charset warning, torch.jit deprecation at import

import numpy as np
import torch
from fastai.callback.schedule import minimum, slide, steep, valley
from fastai.torch_core import tensor as fastai_tensor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_suggester_vectors as mirror  # noqa: E402  (forum rule, CASES)

ROOT = os.path.dirname(HERE)
DATA = os.path.join(ROOT, "tests", "data")
CURVES = os.path.join(DATA, "curves")
FASTAI = {"minimum": minimum, "steep": steep, "valley": valley, "slide": slide}


def load_curve(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    lrs = [float(r["lr"]) for r in rows]
    key = "smooth_loss" if rows and "smooth_loss" in rows[0] else "loss"
    return lrs, [float(r[key]) for r in rows]


def prepare(lrs, losses, skip_start, skip_end, float32, nan_only):
    """lr_find's lines: tensor(recorder.lrs[a:b]), tensor(recorder.losses[a:b]), drop from the first NaN."""
    end = len(losses) - skip_end
    if float32:
        t_lrs, t_losses = fastai_tensor(lrs[skip_start:end]), fastai_tensor(losses[skip_start:end])
    else:
        t_lrs = torch.tensor(lrs[skip_start:end], dtype=torch.float64)
        t_losses = torch.tensor(losses[skip_start:end], dtype=torch.float64)
    bad = torch.nonzero(torch.isnan(t_losses.view(-1)) if nan_only else ~torch.isfinite(t_losses.view(-1)))
    if len(bad) > 0:
        drop_idx = min(bad)
        t_lrs, t_losses = t_lrs[:drop_idx], t_losses[:drop_idx]
    return t_lrs, t_losses


def index_of(t_lrs, lr):
    hits = [i for i in range(len(t_lrs)) if t_lrs[i].item() == lr]
    if len(hits) != 1:
        raise SystemExit(f"lr {lr!r} found {len(hits)} times among the curve's lrs")
    return hits[0]


def call_fastai(method, params, t_lrs, t_losses, num_it):
    """Returns (lr, index in the trimmed series) or None where fastai raises."""
    f = FASTAI[method]
    kwargs = {}
    if method == "slide":
        kwargs = {"lr_diff": params.get("lr_diff", 15), "thresh": params.get("threshold", 0.005)}
    try:
        if method == "slide":
            lr, _ = f(t_lrs, t_losses, num_it, **kwargs, adjust_value=params.get("adjust", 1.0))
            at, _ = f(t_lrs, t_losses, num_it, **kwargs)  # the unadjusted lr, a point of the curve
        else:
            lr, (at, _) = f(t_lrs, t_losses, num_it)  # minimum's point is at lr*10
    except (IndexError, RuntimeError):
        return None  # slide: lrs[-lr_diff-1] out of range; steep: argmin of an empty tensor
    return float(lr), index_of(t_lrs, float(at))


def expected(method, params, lrs, losses, float32=False, nan_only=False):
    num_it = len(lrs)
    if method == "slide-forum":
        return mirror.expected(method, params, np.array(lrs), np.array(losses))
    skip_start = params.get("skip_start", num_it // 10)
    skip_end = params.get("skip_end", 5)
    t_lrs, t_losses = prepare(lrs, losses, skip_start, skip_end, float32, nan_only)
    if len(t_losses) == 0:
        return None
    r = call_fastai(method, params, t_lrs, t_losses, num_it)
    return None if r is None else (r[0], r[1] + skip_start)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--float32", action="store_true", help="float32 tensors, as lr_find builds them")
    ap.add_argument("--nan-only", action="store_true", help="cut at the first NaN only, as lr_find")
    ap.add_argument("--lr-find", action="store_true", help="--float32 --nan-only")
    ap.add_argument("--out")
    args = ap.parse_args()
    float32, nan_only = args.float32 or args.lr_find, args.nan_only or args.lr_find
    if nan_only and not args.out:
        ap.error("--nan-only/--lr-find results are not autolr's expectations: give --out")
    out = args.out or os.path.join(DATA, "suggester_vectors_fastai.csv" if float32 else "suggester_vectors.csv")
    rows = []
    for path in sorted(glob.glob(os.path.join(CURVES, "*.csv"))):
        name = os.path.splitext(os.path.basename(path))[0]
        lrs, losses = load_curve(path)
        for method, params in mirror.CASES:
            result = expected(method, params, lrs, losses, float32, nan_only)
            rows.append([name, method,
                         params.get("lr_diff", ""), params.get("threshold", ""), params.get("adjust", ""),
                         params.get("skip_start", ""), params.get("skip_end", ""),
                         "none" if result is None else repr(result[0]),
                         "none" if result is None else result[1]])
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["curve", "method", "lr_diff", "threshold", "adjust", "skip_start", "skip_end", "lr", "index"])
        w.writerows(rows)
    print(f"{len(rows)} expected results written to {out}")


if __name__ == "__main__":
    main()
