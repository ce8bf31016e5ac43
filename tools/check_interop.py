#!/usr/bin/env python3
"""Interop check (issue 13): a REAL range test with each Python tool the README
says curves can come from (fastai's Learner.lr_find, torch-lr-finder's
LRFinder.range_test, Lightning's Tuner.lr_find), exported with the README's own
snippets, then read back with `autolr suggest --method all --json`.

  tools/check-interop [AUTOLR [VENV]]     (defaults build/autolr, .deps/torch-<version>)
  "$VENV/bin/python" tools/check_interop.py --autolr build/autolr [--keep DIR]

The export snippets are not copied here: they are the ```python blocks of the
README's "Bringing a curve from Python" section, found by the paragraph that
introduces each one, and are exec'd as written (in a scratch folder, so their
"curve.csv" lands there), so a change to the README is what gets tested.

Checks, each a failure (exit status 1) when it does not hold:
  - every tool's range test runs and each README snippet runs as written;
  - `autolr suggest` reads every exported file: exit 0, or 1 (the documented
    status for "no method answered", docs/cli.md); 2 or 3 is a failure;
  - on fastai's curve, autolr's minimum, steep, valley and slide equal the
    suggestions fastai itself returned from the same lr_find
    (suggest_funcs=(minimum, steep, valley, slide)), within a relative 1e-6.
    Why 1e-6: lr_find hands its suggestion functions
    fastai.torch_core.tensor(recorder.lrs / losses), which turns the float64
    LRs into float32, so fastai's LRs are the float32 roundings (relative error
    <= 2**-24 = 6e-8) of the float64 LRs autolr reads from the CSV; a
    different point would differ by a whole LR step (here a factor
    10**(8/100) = 1.2), so 1e-6 separates "same point" from "another point"
    with room on both sides.
  - the fastai test ran all its planned iterations or `--num-iter` was
    passed (the README: pass it when the test stopped early).

Model and data (fixed, so runs are comparable): Fashion-MNIST's first 6400
training images (Debian's dataset-fashion-mnist), flattened to 784 and
normalised with the usual mean 0.2860 / std 0.3530, batches of 64 in file
order (no shuffling), an MLP 784-64-10 built after torch.manual_seed(0), SGD
with momentum 0.9, 100 iterations from 1e-7 to 10 (Lightning: its own range
argument names, same range), each tool's own default divergence stop.
Prints a short report on stdout; exit status 0 only when every check passed.
"""
import argparse
import contextlib
import gzip
import io
import json
import logging
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from functools import partial

warnings.filterwarnings("ignore")  # requests' charset warning, Lightning's num_workers hints, ...

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
DATA = "/usr/share/datasets/fashion-mnist"
N_IMAGES, BATCH, NUM_ITER, START_LR, END_LR = 6400, 64, 100, 1e-7, 10.0
REL_TOL = 1e-6
FASTAI_METHODS = ("minimum", "steep", "valley", "slide")

# The paragraph that introduces each snippet in the README ("fastai (after ...").
SNIPPET_INTRO = {
    "fastai": "fastai (after",
    "torch-lr-finder": "torch-lr-finder (after",
    "lightning": "PyTorch Lightning (after",
}


def readme_snippets(path=README):
    """The ```python block that follows each tool's intro paragraph in the
    README's "## Bringing a curve from Python" section."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^## Bringing a curve from Python\n(.*?)(?=^## )", text, re.S | re.M)
    if not m:
        raise RuntimeError("README.md has no '## Bringing a curve from Python' section")
    section = m.group(1)
    snippets = {}
    for tool, intro in SNIPPET_INTRO.items():
        b = re.search(r"^" + re.escape(intro) + r".*?^```python\n(.*?)^```", section, re.S | re.M)
        if not b:
            raise RuntimeError(f"README.md: no python block after a paragraph starting {intro!r}")
        snippets[tool] = b.group(1)
    return snippets


def read_idx(name, count):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)[:count]


def load_data():
    x = torch.from_numpy(read_idx("train-images-idx3-ubyte.gz", N_IMAGES).astype(np.float32))
    x = (x.reshape(-1, 784) / 255.0 - 0.2860) / 0.3530
    y = torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz", N_IMAGES).astype(np.int64))
    return x, y


def make_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))


def loader(x, y):
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=False)


@contextlib.contextmanager
def quiet():
    """The tools' progress bars and prints go to a buffer, not the report."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        yield buf


def run_snippet(code, workdir, **names):
    """exec a README snippet as written, in workdir; returns the CSV it wrote."""
    old = os.getcwd()
    os.chdir(workdir)
    try:
        exec(compile(code, "README.md snippet", "exec"), dict(names))
    finally:
        os.chdir(old)
    path = os.path.join(workdir, "curve.csv")
    if not os.path.exists(path):
        raise RuntimeError("the snippet wrote no curve.csv")
    return path


def fastai_test(x, y, workdir):
    from fastai.callback.schedule import minimum, slide, steep, valley
    from fastai.data.core import DataLoaders
    from fastai.learner import Learner
    from fastai.optimizer import SGD

    dls = DataLoaders(loader(x, y), loader(x[:BATCH], y[:BATCH]), path=workdir)
    learn = Learner(dls, make_model(), loss_func=F.cross_entropy, opt_func=partial(SGD, mom=0.9))
    with quiet():
        sugg = learn.lr_find(start_lr=START_LR, end_lr=END_LR, num_it=NUM_ITER, show_plot=False,
                             suggest_funcs=(minimum, steep, valley, slide))
    return learn, {m: float(getattr(sugg, m)) for m in FASTAI_METHODS}


def torch_lr_finder_test(x, y):
    from torch_lr_finder import LRFinder

    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=START_LR, momentum=0.9)
    lr_finder = LRFinder(model, optimizer, nn.CrossEntropyLoss(), device="cpu")
    with quiet():
        lr_finder.range_test(loader(x, y), start_lr=START_LR, end_lr=END_LR, num_iter=NUM_ITER)
    lr_finder.reset()
    return lr_finder


def lightning_test(x, y, workdir):
    import lightning.pytorch as pl
    from lightning.pytorch.tuner import Tuner

    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = make_model()
            self.lr = START_LR

        def training_step(self, batch, batch_idx):
            xb, yb = batch
            return F.cross_entropy(self.net(xb), yb)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9)

    model = Module()
    trainer = pl.Trainer(accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, max_epochs=1,
                         default_root_dir=workdir)
    with quiet():
        lr_finder = Tuner(trainer).lr_find(model, train_dataloaders=loader(x, y), min_lr=START_LR,
                                           max_lr=END_LR, num_training=NUM_ITER)
    return lr_finder


def autolr_suggest(autolr, csv_path, extra=()):
    cmd = [autolr, "suggest", csv_path, "--method", "all", "--json", *extra]
    p = subprocess.run(cmd, capture_output=True, text=True)
    answers = None
    if p.returncode in (0, 1):
        answers = {a["method"]: a for a in json.loads(p.stdout)}
    return p, answers


def rows_of(csv_path):
    with open(csv_path) as f:
        return sum(1 for _ in f) - 1


def versions():
    from importlib.metadata import version
    names = ("torch", "fastai", "fastcore", "torch-lr-finder", "lightning", "pandas", "numpy")
    return ", ".join(f"{n} {version(n)}" for n in names)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--autolr", default=os.path.join(ROOT, "build", "autolr"))
    ap.add_argument("--keep", help="write the curve files into this folder (kept)")
    args = ap.parse_args()
    started = time.monotonic()
    torch.set_num_threads(1)
    failures = []

    def fail(msg):
        failures.append(msg)
        print(f"  FAIL: {msg}")

    if not os.access(args.autolr, os.X_OK):
        print(f"check_interop: no autolr executable at {args.autolr}", file=sys.stderr)
        return 2
    print(f"interop check: {versions()}")
    print(f"model: MLP 784-64-10 (seed 0), SGD momentum 0.9, {N_IMAGES} Fashion-MNIST images, "
          f"batch {BATCH}, {NUM_ITER} iterations, lr {START_LR:g} to {END_LR:g}")
    snippets = readme_snippets()
    x, y = load_data()

    with tempfile.TemporaryDirectory() as scratch:
        base = args.keep or scratch
        for tool in ("fastai", "torch-lr-finder", "lightning"):
            work = os.path.join(base, tool)
            os.makedirs(work, exist_ok=True)
            print(f"{tool}:")
            t0 = time.monotonic()
            try:
                if tool == "fastai":
                    learn, fastai_sugg = fastai_test(x, y, work)
                    names = {"learn": learn}
                elif tool == "torch-lr-finder":
                    names = {"lr_finder": torch_lr_finder_test(x, y)}
                else:
                    names = {"lr_finder": lightning_test(x, y, work)}
            except Exception as e:  # noqa: BLE001  (reported, then the next tool)
                fail(f"{tool} range test raised {type(e).__name__}: {e}")
                continue
            try:
                csv_path = run_snippet(snippets[tool], work, **names)
            except Exception as e:  # noqa: BLE001
                fail(f"README snippet for {tool} does not run as written: {type(e).__name__}: {e}")
                continue
            n = rows_of(csv_path)
            extra = []
            if tool == "fastai" and n < NUM_ITER:
                extra = ["--num-iter", str(NUM_ITER)]  # as the README says, for an early stop
            p, answers = autolr_suggest(args.autolr, csv_path, extra)
            print(f"  range test + export {time.monotonic() - t0:.1f} s, {n} points"
                  f"{' (stopped early)' if n < NUM_ITER else ''}; "
                  f"autolr suggest {' '.join(extra) or ''} exit {p.returncode}")
            if answers is None:
                fail(f"autolr suggest could not read the {tool} curve (exit {p.returncode}): "
                     f"{p.stderr.strip()}")
                continue
            for m, a in answers.items():
                lr = "none" if a["lr"] is None else f"{a['lr']:.6g}"
                conf = f"  confidence {a['confidence']:.2f}" if "confidence" in a else ""
                warn = f"  warnings: {'; '.join(w['kind'] for w in a['warnings'])}" if a["warnings"] else ""
                print(f"    {m:<12} {lr:>12}  index {a['index']}{conf}{warn}")
            if tool == "fastai" and extra:
                _, plain = autolr_suggest(args.autolr, csv_path)
                moved = [m for m in FASTAI_METHODS if plain and plain[m]["lr"] != answers[m]["lr"]]
                print(f"  without --num-iter (trimming {n}//10 points, not {NUM_ITER}//10): "
                      f"{', '.join(moved) or 'no method'} would answer differently")
            if tool == "fastai":
                print("  fastai's own suggestions vs autolr (relative tolerance 1e-6):")
                for m in FASTAI_METHODS:
                    ours, theirs = answers[m]["lr"], fastai_sugg[m]
                    rel = math.inf if ours is None else abs(ours - theirs) / abs(theirs)
                    ok = rel <= REL_TOL
                    print(f"    {m:<8} fastai {theirs:.9g}  autolr "
                          f"{'none' if ours is None else format(ours, '.9g')}  rel diff {rel:.1e}"
                          f"  {'ok' if ok else 'MISMATCH'}")
                    if not ok:
                        fail(f"fastai {m}: autolr {ours} vs fastai {theirs}")

    elapsed = time.monotonic() - started
    print(f"total {elapsed:.0f} s; {'all checks passed' if not failures else f'{len(failures)} failure(s)'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
