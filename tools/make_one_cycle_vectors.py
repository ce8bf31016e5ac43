#!/usr/bin/python3
"""Writes tests/data/one_cycle_vectors.csv: the learning rate and momentum of
PyTorch's own torch.optim.lr_scheduler.OneCycleLR at every step, for a table of
configurations, so autolr's OneCycleLR can be checked against it without Python.

Recorded with two PyTorch versions, one file each (same format; the output
goes by the running torch's major version, or --out PATH):
  torch 1.13 (Debian's python3-torch):  /usr/bin/python3 tools/make_one_cycle_vectors.py
      -> tests/data/one_cycle_vectors.csv
  torch 2.15 (the project's venv, with numpy from tools/install-reference-packages):
      .deps/torch-2.15.0/bin/python tools/make_one_cycle_vectors.py
      -> tests/data/one_cycle_vectors_torch2.csv
The two files were byte-identical when made (every lr and momentum equal).

Each configuration is recorded from construction (step 0) through
`total_steps` calls of step() (PyTorch allows exactly that many; the last one
is one past the schedule), for every param group.
"""
import argparse
import csv
import os
import warnings

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")


def default_out():
    major = int(torch.__version__.split(".")[0])
    return os.path.join(DATA, "one_cycle_vectors.csv" if major < 2 else f"one_cycle_vectors_torch{major}.csv")

# name, max_lr (one per group), total_steps, pct_start, anneal, three_phase, div, final_div, base_m, max_m, optimizer
CONFIGS = [
    ("defaults_100", [0.1], 100, 0.3, "cos", False, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("linear_100", [0.1], 100, 0.3, "linear", False, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("three_phase_cos_100", [0.1], 100, 0.3, "cos", True, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("three_phase_linear_100", [0.1], 100, 0.3, "linear", True, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("pct_0_1_odd_7", [1.0], 7, 0.1, "cos", False, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("pct_0_5_odd_13", [0.3], 13, 0.5, "cos", False, 10.0, 100.0, 0.8, 0.9, "sgd"),
    ("pct_0_25_fastai_1000", [3e-3], 1000, 0.25, "cos", False, 25.0, 4000.0, 0.85, 0.95, "adam"),
    ("pct_0_9_linear_11", [0.05], 11, 0.9, "linear", False, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("total_3", [0.2], 3, 0.3, "cos", False, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("total_2", [0.2], 2, 0.3, "cos", False, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("total_1", [0.2], 1, 0.3, "cos", False, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("pct_0", [0.1], 10, 0.0, "cos", False, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("pct_1", [0.1], 10, 1.0, "cos", False, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("three_phase_odd_9", [0.4], 9, 0.2, "cos", True, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("two_groups_50", [0.01, 0.1], 50, 0.3, "cos", False, 25.0, 1e4, 0.85, 0.95, "sgd"),
    ("three_groups_adamw_37", [1e-4, 1e-3, 1e-2], 37, 0.4, "linear", True, 5.0, 1e3, 0.9, 0.99, "adamw"),
    ("rmsprop_20", [0.01], 20, 0.3, "cos", False, 25.0, 1e4, 0.85, 0.95, "rmsprop"),
]


def make_optimizer(kind, groups):
    params = [[torch.nn.Parameter(torch.zeros(1))] for _ in range(groups)]
    param_groups = [{"params": p} for p in params]
    if kind == "sgd":
        return torch.optim.SGD(param_groups, lr=0.1, momentum=0.9)
    if kind == "adam":
        return torch.optim.Adam(param_groups, lr=0.1)
    if kind == "adamw":
        return torch.optim.AdamW(param_groups, lr=0.1)
    if kind == "rmsprop":
        return torch.optim.RMSprop(param_groups, lr=0.1, momentum=0.9)
    raise ValueError(kind)


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def main():
    ap = argparse.ArgumentParser(description="Records torch's OneCycleLR for autolr's tests.")
    ap.add_argument("--out", help="default: by torch's major version, see the module's docstring")
    out = ap.parse_args().out or default_out()
    warnings.simplefilter("ignore")
    rows = []
    for (name, max_lr, total, pct, anneal, three, div, final_div, base_m, max_m, kind) in CONFIGS:
        opt = make_optimizer(kind, len(max_lr))
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=max_lr if len(max_lr) > 1 else max_lr[0], total_steps=total, pct_start=pct,
            anneal_strategy=anneal, three_phase=three, div_factor=div, final_div_factor=final_div,
            base_momentum=base_m, max_momentum=max_m)
        config = [name, kind, ";".join(repr(x) for x in max_lr), total, repr(pct), anneal, int(three),
                  repr(div), repr(final_div), repr(base_m), repr(max_m)]
        failed = False
        for step in range(total + 1):
            if step > 0:
                opt.step()
                try:
                    sched.step()
                except ZeroDivisionError:
                    # A phase of zero steps (pct_start = 1): autolr must refuse this step too.
                    rows.append(config + [step, -1, "error", "error"])
                    failed = True
                    break
            for g, group in enumerate(opt.param_groups):
                rows.append(config + [step, g, repr(group["lr"]), repr(momentum_of(group))])
        if not failed:
            try:  # one step too many: PyTorch's error, which autolr must give too
                opt.step()
                sched.step()
                raise SystemExit(f"{name}: PyTorch allowed a step past total_steps")
            except ValueError:
                pass
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["config", "optimizer", "max_lr", "total_steps", "pct_start", "anneal", "three_phase",
                    "div_factor", "final_div_factor", "base_momentum", "max_momentum", "step", "group", "lr",
                    "momentum"])
        w.writerows(rows)
    print(f"torch {torch.__version__}: {len(CONFIGS)} configurations, {len(rows)} rows written to {out}")


if __name__ == "__main__":
    main()
