#!/usr/bin/python3
"""Writes the curves and the expected suggester results that autolr's tests
compare against (tests/data/curves/*.csv, tests/data/suggester_vectors.csv).

The reference functions below follow fastai's fastai/callback/schedule.py
(minimum, steep, valley, slide, and lr_find's trimming) and the original forum
"interval slide rule" line by line, including fastai's O(n^2) valley and
Python's negative indexing. Differences, all deliberate and documented:
  - float64 throughout (fastai builds float32 tensors from its recorder);
  - points are cut at the first NaN *or inf* (fastai cuts at NaN only);
  - where the reference would raise (too few points, forum rule with no
    answer) the expected result is "none": autolr answers no LR there.

Run with Debian's python3-numpy:  /usr/bin/python3 tools/make_suggester_vectors.py
"""
import csv
import math
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
CURVES = os.path.join(DATA, "curves")


# ---------------------------------------------------------------- reference
def ref_minimum(lrs, losses):
    i = int(np.argmin(losses))
    return lrs[i] / 10, i


def ref_steep(lrs, losses):
    if len(losses) < 2:
        return None
    grads = (losses[1:] - losses[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    i = int(np.argmin(grads))
    return lrs[i], i


def ref_valley(lrs, losses):
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return lrs[idx], idx % n  # Python reads idx = -1 as the last point


def slide_walk(losses, lr_diff, thresh):
    """Returns (last left index that still differed or None, initial left index)."""
    loss_grad = np.gradient(losses)
    r_idx = -1
    l_idx = r_idx - lr_diff
    last = None
    while (l_idx >= -len(losses)) and (abs(loss_grad[r_idx] - loss_grad[l_idx]) > thresh):
        last = len(losses) + l_idx
        r_idx -= 1
        l_idx -= 1
    return last, len(losses) - 1 - lr_diff


def ref_slide(lrs, losses, lr_diff=15, thresh=0.005, adjust_value=1.0):
    if len(losses) < lr_diff + 1:
        return None  # fastai: IndexError at lrs[l_idx]
    last, first_left = slide_walk(losses, lr_diff, thresh)
    i = first_left if last is None else last
    return float(lrs[i]) * adjust_value, i


def ref_slide_forum(lrs, losses, lr_diff=15, loss_threshold=0.05, adjust_value=1.0):
    if len(losses) < lr_diff + 1:
        return None  # forum: assert(lr_diff < len(losses))
    last, _ = slide_walk(losses, lr_diff, loss_threshold)
    if last is None:
        return None  # forum: UnboundLocalError, local_min_lr never set
    return float(lrs[last]) * adjust_value, last


def prepare(lrs, losses, skip_start, skip_end):
    """fastai's lr_find: [num_it//10 : -5], then cut at the first non-finite."""
    end = len(losses) - skip_end
    lrs, losses = lrs[skip_start:end], losses[skip_start:end]
    bad = np.nonzero(~np.isfinite(losses))[0]
    if len(bad) > 0:
        lrs, losses = lrs[: bad[0]], losses[: bad[0]]
    return lrs, losses, skip_start


# ------------------------------------------------------------------- curves
def exp_lrs(n, start=1e-7, end=10.0):
    return start * (end / start) ** (np.arange(n) / (n - 1))


def ema(raw, beta=0.98):
    out, avg = [], 0.0
    for t, x in enumerate(raw, start=1):
        avg = beta * avg + (1 - beta) * x
        out.append(avg / (1 - beta**t))
    return np.array(out)


def shape(lrs, base=2.3, low=0.4, descent=(1e-4, 1e-2), blowup=1.0, blow_rate=3.0):
    """Loss as a function of lr: flat, a sigmoid descent in log lr, then an exponential blow-up."""
    x = np.log10(lrs)
    mid = (math.log10(descent[0]) + math.log10(descent[1])) / 2
    width = (math.log10(descent[1]) - math.log10(descent[0])) / 6
    loss = low + (base - low) / (1 + np.exp((x - mid) / width))
    loss = loss + np.where(lrs > blowup, np.expm1(blow_rate * (x - math.log10(blowup)) * 2.3), 0.0)
    return loss


def make_curves():
    rng = np.random.RandomState(20261128)
    curves = {}

    lrs = exp_lrs(100)
    raw = shape(lrs, blowup=0.3) + rng.normal(0, 0.05, 100)
    curves["clean_valley"] = (lrs, raw, ema(raw))

    raw = shape(lrs, blowup=1e9) + rng.normal(0, 0.03, 100)
    curves["no_blowup"] = (lrs, raw, ema(raw))

    raw = shape(lrs, blowup=0.5) + rng.normal(0, 0.6, 100)
    curves["noisy_small_batch"] = (lrs, raw, None)  # only raw losses, as a hand-made export

    # Adam-like hairpin: descent, a spike, and the dead network's flat loss after it.
    raw = shape(lrs, blowup=1e9)
    spike = (lrs > 0.05)
    raw = np.where(spike, 2.3 + 6.0 * np.exp(-(np.log10(lrs) - math.log10(0.08)) * 4), raw)
    raw = raw + rng.normal(0, 0.02, 100)
    curves["hairpin"] = (lrs, raw, ema(raw))

    raw = shape(lrs, blowup=0.1, blow_rate=6.0) + rng.normal(0, 0.05, 100)
    raw[85:] = np.nan
    curves["nan_tail"] = (lrs, raw, ema(raw))

    raw = shape(lrs, blowup=0.2) + rng.normal(0, 0.05, 100)
    raw[90:] = np.inf
    curves["inf_tail"] = (lrs, raw, ema(raw))

    raw = 2.302 + rng.normal(0, 0.0005, 100)
    curves["plateau"] = (lrs, raw, ema(raw))

    short = exp_lrs(12, 1e-5, 1.0)
    raw = shape(short, blowup=0.3) + rng.normal(0, 0.02, 12)
    curves["very_short"] = (short, raw, ema(raw))

    tiny = np.array([1e-3, 1e-2])
    curves["two_points_down"] = (tiny, np.array([2.0, 1.5]), None)

    long_lrs = exp_lrs(1000)
    raw = shape(long_lrs, blowup=0.5) + rng.normal(0, 0.05, 1000)
    curves["long"] = (long_lrs, raw, ema(raw))

    raw = shape(lrs, base=2.3, low=1.4, descent=(1e-6, 1e-5), blowup=1e9)
    raw = raw - 1.0 / (1 + np.exp(-(np.log10(lrs) + 2.0) / 0.25)) + rng.normal(0, 0.02, 100)
    raw = raw + np.where(lrs > 1.0, np.expm1((np.log10(lrs)) * 5), 0.0)
    curves["two_valleys"] = (lrs, raw, ema(raw))

    lin = np.linspace(1e-4, 1.0, 100)
    raw = shape(lin, descent=(1e-3, 0.1), blowup=0.7) + rng.normal(0, 0.04, 100)
    curves["linear_lrs"] = (lin, raw, ema(raw))

    raw = 0.05 * shape(lrs, base=1.0, low=0.2, blowup=0.3) + rng.normal(0, 0.002, 100)
    curves["small_loss_scale"] = (lrs, raw, ema(raw))

    raw = 1.0 + 0.5 * np.log10(lrs / lrs[0]) / 8 + rng.normal(0, 0.01, 100)
    curves["only_rises"] = (lrs, raw, ema(raw))

    # An unfrozen-stage curve: already low, shallow descent, early blow-up.
    raw = shape(lrs, base=0.35, low=0.3, descent=(1e-6, 1e-4), blowup=1e-3, blow_rate=1.0)
    raw = raw + rng.normal(0, 0.004, 100)
    curves["unfrozen_stage"] = (lrs, raw, ema(raw))
    return curves


def write_curve(name, lrs, raw, smooth):
    path = os.path.join(CURVES, name + ".csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["step", "lr", "loss"] + ([] if smooth is None else ["smooth_loss"]))
        for i in range(len(lrs)):
            row = [i, repr(float(lrs[i])), repr(float(raw[i]))]
            if smooth is not None:
                row.append(repr(float(smooth[i])))
            w.writerow(row)


# Cases: (method, parameters). Empty parameters mean the defaults.
CASES = [
    ("minimum", {}),
    ("steep", {}),
    ("valley", {}),
    ("slide", {}),
    ("slide", {"lr_diff": 5}),
    ("slide", {"lr_diff": 40, "threshold": 0.002}),
    ("slide", {"threshold": 0.05, "adjust": 0.5}),
    ("slide-forum", {}),
    ("slide-forum", {"lr_diff": 5, "threshold": 0.01}),
    ("slide-forum", {"lr_diff": 45}),
    ("minimum", {"skip_start": 0, "skip_end": 0}),
    ("steep", {"skip_start": 0, "skip_end": 0}),
    ("valley", {"skip_start": 0, "skip_end": 0}),
    ("valley", {"skip_start": 20, "skip_end": 10}),
]


def expected(method, params, lrs, losses):
    fastai = method != "slide-forum"
    skip_start = params.get("skip_start", len(lrs) // 10 if fastai else 0)
    skip_end = params.get("skip_end", 5 if fastai else 0)
    p_lrs, p_losses, offset = prepare(lrs, losses, skip_start, skip_end)
    if len(p_losses) == 0:
        return None
    if method == "minimum":
        r = ref_minimum(p_lrs, p_losses)
    elif method == "steep":
        r = ref_steep(p_lrs, p_losses)
    elif method == "valley":
        r = ref_valley(p_lrs, p_losses)
    elif method == "slide":
        r = ref_slide(p_lrs, p_losses, params.get("lr_diff", 15), params.get("threshold", 0.005),
                      params.get("adjust", 1.0))
    else:
        r = ref_slide_forum(p_lrs, p_losses, params.get("lr_diff", 15), params.get("threshold", 0.05),
                            params.get("adjust", 1.0))
    if r is None:
        return None
    return float(r[0]), int(r[1]) + offset


def main():
    os.makedirs(CURVES, exist_ok=True)
    curves = make_curves()
    rows = []
    for name, (lrs, raw, smooth) in sorted(curves.items()):
        write_curve(name, lrs, raw, smooth)
        losses = raw if smooth is None else smooth  # autolr's LossSeries::Auto
        for method, params in CASES:
            result = expected(method, params, lrs, losses)
            rows.append([name, method,
                         params.get("lr_diff", ""), params.get("threshold", ""), params.get("adjust", ""),
                         params.get("skip_start", ""), params.get("skip_end", ""),
                         "none" if result is None else repr(result[0]),
                         "none" if result is None else result[1]])
    with open(os.path.join(DATA, "suggester_vectors.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["curve", "method", "lr_diff", "threshold", "adjust", "skip_start", "skip_end", "lr", "index"])
        w.writerows(rows)
    print(f"{len(curves)} curves, {len(rows)} expected results written under {DATA}")


if __name__ == "__main__":
    main()
