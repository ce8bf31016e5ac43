#!/usr/bin/env python3
"""Times a 100-step LR range test in Python, the baseline for autolr's C++
range test (issue 13): (a) a bare PyTorch loop, (b) torch-lr-finder's
LRFinder.range_test (memory cache), (c) fastai's Learner.lr_find and (d)
Lightning's Tuner.lr_find, on the same Fashion-MNIST batches and the same
initial weights.

  "$VENV/bin/python" bench/python_range_tests.py [--repeats N] [--workloads mlp,tiny]

stdout: one line per (workload, tool), nothing else:
  <workload> <tool> <median_seconds> <first_loss or ->
first_loss (the bare loop only) is the loss of step 1, so the C++ side can
confirm it trains the same weights on the same batches. Logs go to stderr.

Workloads (torch.manual_seed(0) right before building the model, so the
weights are LibTorch's too for the same seed):
  mlp   Linear(784,256) ReLU Linear(256,128) ReLU Linear(128,10), batch 128
  tiny  Linear(784,32) ReLU Linear(32,10), batch 32
Data: the first 100*batch Fashion-MNIST training images (Debian's
dataset-fashion-mnist), reshaped to 784, (x/255 - 0.2860)/0.3530, labels
int64, in file order (batch i is images [i*batch, (i+1)*batch)).
Every tool: torch.optim.SGD(lr 0.01, momentum 0.9) (fastai through its
OptimWrapper, so all four run the same optimizer code), 100 steps, LR growing
exponentially from 1e-7 to 1, no early stop (divergence check off: fastai
stop_div=False, torch-lr-finder diverge_th=inf, Lightning
early_stop_threshold=None; the range ends at 1 so no loss is NaN), one thread
(torch.set_num_threads(1)), CPU. Each tool spaces its 100 LRs its own way:
the loop and torch-lr-finder 1e-7*1e7**(i/99) (last = 1), fastai i/100 (last
0.85), Lightning 1e-7 at step 0, then (i+1)/100 (step 1 at 1.38e-7, last 1).
Each tool's whole smoothed curve is checked once per workload against a bare
loop replayed with the LRs the tool recorded (and the tool's own smoothing).

Runs are interleaved (repeat 1 of every tool, then repeat 2, ...) so drifts in
machine speed hit all alike; the median of N repeats is printed. Before every
run, outside the timed region, the model gets the initial weights back. Each
run checks that its tool recorded 100 points and that its first recorded loss
is the bare loop's first loss (exactly where the tool records the raw first
loss, torch-lr-finder and fastai; Lightning's first point is un-biased first,
see below), and exits 1 otherwise.
"""
import argparse
import contextlib
import gzip
import logging
import math
import os
import statistics
import sys
import tempfile
import time
import warnings
from functools import partial

warnings.filterwarnings("ignore")
# No progress bars (torch-lr-finder's and Lightning's tqdm), as the C++ bench runs with progress(false).
os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

DATA = "/usr/share/datasets/fashion-mnist"
STEPS, START_LR, END_LR, LR, MOMENTUM = 100, 1e-7, 1.0, 0.01, 0.9
WORKLOADS = {
    "mlp": (128, lambda: nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                                       nn.Linear(128, 10))),
    "tiny": (32, lambda: nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))),
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def read_idx(name, count):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)[:count]


class Workload:
    def __init__(self, name):
        self.name = name
        self.batch, build = WORKLOADS[name]
        n = STEPS * self.batch
        x = torch.from_numpy(read_idx("train-images-idx3-ubyte.gz", n).astype(np.float32))
        self.x = (x.reshape(-1, 784) / 255 - 0.2860) / 0.3530
        self.y = torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz", n).astype(np.int64))
        torch.manual_seed(0)
        self.model = build()
        self.initial = {k: v.clone() for k, v in self.model.state_dict().items()}
        self.batches = list(zip(self.x.split(self.batch), self.y.split(self.batch)))
        self.first_loss = None
        self.checked = {}

    def fresh(self):
        """The model with the initial weights back and no gradients (outside the timed region).
        Without the gradient reset, fastai (which zeroes gradients after each step, not
        before) would add the previous run's last gradients to its first step."""
        self.model.load_state_dict(self.initial)
        self.model.zero_grad(set_to_none=True)
        return self.model

    def replay(self, lrs):
        """The raw losses of a bare loop with these per-step LRs: the reference each tool's
        curve is checked against once (outside the timed region)."""
        model = self.fresh()
        opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
        losses = []
        for lr, (xb, yb) in zip(lrs, self.batches):
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    def loader(self):
        ds = torch.utils.data.TensorDataset(self.x, self.y)
        return torch.utils.data.DataLoader(ds, batch_size=self.batch, shuffle=False)


def check(w, tool, n_points, first):
    if n_points != STEPS:
        raise SystemExit(f"{w.name} {tool}: {n_points} points recorded, not {STEPS}")
    if w.first_loss is not None and not math.isclose(first, w.first_loss, rel_tol=1e-5):
        raise SystemExit(f"{w.name} {tool}: first loss {first!r}, the bare loop's {w.first_loss!r}: "
                         "not the same weights or batches")


def ema(raw, beta, debias_offset):
    """fastai's and Lightning's smoothing: avg/(1 - beta**(i + debias_offset))."""
    avg, out = 0.0, []
    for i, v in enumerate(raw):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta ** (i + debias_offset)))
    return out


def check_curve(w, tool, got, want, rel_tol=1e-4):
    """The whole smoothed curve against a bare loop's replay (float32 sums in a different
    order drift a little over 100 steps; a stale gradient or another batch is off by percent)."""
    worst = max(abs(g - e) / abs(e) for g, e in zip(got, want))
    log(f"{w.name} {tool}: curve vs bare-loop replay, worst relative difference {worst:.1e}")
    if not worst <= rel_tol:
        raise SystemExit(f"{w.name} {tool}: curve differs from the bare loop's replay by {worst:.1e}")


# (a) Timed: the whole loop (set lr, zero_grad, forward, cross_entropy,
# backward, step, loss.item()) over batches already in memory as tensors. Not
# timed: building the optimizer (as the C++ bench), restoring the weights. No
# snapshot/restore: a bare loop has none.
def bare_loop(w):
    model = w.fresh()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    losses = []
    start = time.perf_counter()
    for step, (xb, yb) in enumerate(w.batches):
        lr = START_LR * (END_LR / START_LR) ** (step / (STEPS - 1))
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    elapsed = time.perf_counter() - start
    if w.first_loss is None:
        w.first_loss = losses[0]
    check(w, "loop", len(losses), losses[0])
    return elapsed


# (b) Timed: LRFinder(...) (its memory-cache snapshot of model and optimizer),
# range_test (its DataLoader iteration, smoothing, bookkeeping) and reset()
# (the restore). Not timed: the optimizer, the loader, the import.
def torch_lr_finder(w):
    from torch_lr_finder import LRFinder

    model = w.fresh()
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    criterion, dl = nn.CrossEntropyLoss(), w.loader()
    start = time.perf_counter()
    finder = LRFinder(model, opt, criterion, device="cpu", memory_cache=True)
    finder.range_test(dl, start_lr=START_LR, end_lr=END_LR, num_iter=STEPS, diverge_th=math.inf)
    finder.reset()
    elapsed = time.perf_counter() - start
    check(w, "torch-lr-finder", len(finder.history["loss"]), finder.history["loss"][0])  # point 0 is raw
    if not w.checked.get("torch-lr-finder"):
        # Its smoothing: point 0 raw, then 0.05 * loss + 0.95 * previous point.
        raw, want = w.replay(finder.history["lr"]), []
        for v in raw:
            want.append(v if not want else 0.05 * v + 0.95 * want[-1])
        check_curve(w, "torch-lr-finder", finder.history["loss"], want)
        w.checked["torch-lr-finder"] = True
    return elapsed


# (c) Timed: learn.lr_find (fastai's fit with its callbacks, the optimizer it
# creates at fit start, its save of model and optimizer to a file before and
# load after; suggest_funcs=None, so no suggestion is computed). Not timed:
# the Learner, built once per workload (a Learner runs lr_find any number of
# times; the optimizer is dropped before each run so each starts without
# momentum, as the others do), the import. No progress bar (no_bar).
class FastaiTool:
    def __init__(self, w, workdir):
        from fastai.data.core import DataLoaders
        from fastai.learner import Learner
        from fastai.optimizer import OptimWrapper

        import fastai.callback.schedule  # noqa: F401  (patches Learner.lr_find)

        dls = DataLoaders(w.loader(), w.loader(), path=workdir)
        self.learn = Learner(dls, w.model, loss_func=F.cross_entropy, lr=LR,
                             opt_func=partial(OptimWrapper, opt=torch.optim.SGD, momentum=MOMENTUM))

    def __call__(self, w):
        w.fresh()
        learn = self.learn
        learn.opt = None
        start = time.perf_counter()
        with learn.no_bar():
            learn.lr_find(start_lr=START_LR, end_lr=END_LR, num_it=STEPS, stop_div=False, show_plot=False,
                          suggest_funcs=None)
        elapsed = time.perf_counter() - start
        losses = [float(v) for v in learn.recorder.losses]
        check(w, "fastai", len(losses), losses[0])  # point 0: raw
        if not w.checked.get("fastai"):
            check_curve(w, "fastai", losses, ema(w.replay(learn.recorder.lrs), 0.98, 1))
            w.checked["fastai"] = True
        return elapsed


# (d) Timed: Tuner(trainer).lr_find (Lightning's fit loop, its checkpoint of
# model, optimizer and trainer state to a file in default_root_dir before and
# its restore after; update_attr=False, so no suggestion is computed). Not
# timed: the LightningModule and the Trainer, built once per workload (one
# Trainer runs lr_find repeatedly: the checkpoint it restores brings its step
# counter back to 0), the import. No logger, no checkpointing callback, no
# progress bar, no model summary.
class LightningTool:
    def __init__(self, w, workdir):
        import lightning.pytorch as pl
        from lightning.pytorch.tuner import Tuner

        for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
            logging.getLogger(name).setLevel(logging.ERROR)

        class Module(pl.LightningModule):
            def __init__(self, net):
                super().__init__()
                self.net = net

            def training_step(self, batch, batch_idx):
                xb, yb = batch
                return F.cross_entropy(self.net(xb), yb)

            def configure_optimizers(self):
                return torch.optim.SGD(self.parameters(), lr=LR, momentum=MOMENTUM)

        self.module = Module(w.model)
        self.trainer = pl.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                                  enable_progress_bar=False, enable_model_summary=False, max_epochs=1,
                                  default_root_dir=workdir)
        self.tuner = Tuner(self.trainer)

    def __call__(self, w):
        w.fresh()
        dl = w.loader()
        start = time.perf_counter()
        finder = self.tuner.lr_find(self.module, train_dataloaders=dl, min_lr=START_LR, max_lr=END_LR,
                                    num_training=STEPS, early_stop_threshold=None, update_attr=False)
        elapsed = time.perf_counter() - start
        # Lightning bias-corrects its first point with 1 - 0.98**2 (its global_step is already 1
        # after the first batch): undo that to compare with the raw first loss.
        first = finder.results["loss"][0] * (1 - 0.98 ** 2) / (1 - 0.98)
        check(w, "lightning", len(finder.results["loss"]), first)
        if not w.checked.get("lightning"):
            # Its recorded lrs are the ones each step ran at; smoothed with the offset above.
            check_curve(w, "lightning", finder.results["loss"], ema(w.replay(finder.results["lr"]), 0.98, 2))
            w.checked["lightning"] = True
        return elapsed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--workloads", default="mlp,tiny")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = []
    # Whatever the tools print (torch-lr-finder's "Learning rate search finished", tqdm, Lightning's
    # notices) goes to stderr: stdout carries the result lines only.
    with tempfile.TemporaryDirectory() as workdir, contextlib.redirect_stdout(sys.stderr):
        for name in args.workloads.split(","):
            w = Workload(name)
            tools = {"loop": bare_loop, "torch-lr-finder": torch_lr_finder,
                     "fastai": FastaiTool(w, workdir), "lightning": LightningTool(w, workdir)}
            bare_loop(w)  # warm-up (not counted): sets first_loss, which the other tools are checked against
            times = {t: [] for t in tools}
            for r in range(args.repeats):
                for t, run in tools.items():
                    times[t].append(run(w))
                log(f"{name} repeat {r + 1}: " + ", ".join(f"{t} {v[-1]:.3f} s" for t, v in times.items()))
            for t, v in times.items():
                first = f"{w.first_loss:.9g}" if t == "loop" else "-"
                out.append(f"{name} {t} {statistics.median(v):.4f} {first}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
