#!/usr/bin/env python3
"""Writes tests/data/optim_vectors/<case>.csv: every step of the reference
Schedule-Free AdamW, Schedule-Free SGD and Prodigy on small fixed problems, so
autolr's LibTorch ports (include/autolr/optim.h) can be checked against them
without Python (tests/optim_test.cpp).

Reference packages, pinned (tools/install-reference-packages installs them):
    schedulefree==1.4.1   (AdamWScheduleFree, SGDScheduleFree)
    prodigyopt==1.1.2     (Prodigy)
    torch==2.15.0, numpy==2.4.6

Run with the project's torch venv:
    tools/install-libtorch && tools/install-reference-packages
    .deps/torch-2.15.0/bin/python tools/make_optimizer_vectors.py

Everything is deterministic, float32 on the CPU. The training data come from a
formula (sin of the sample index, a polynomial target), not from torch's RNG, so
the C++ test rebuilds the same batches; the initial parameters do come from
torch.manual_seed and are written into each file's `init` row, so the C++ test
starts from exactly the same point.

Each CSV has a header `event,step,loss,<group scalars>,<parameters>[,<buffers>]`:
  init   step 0: the initial parameters (and buffers)
  step   after optimizer.step() number `step`: the loss computed at the point
         the gradient was taken (before the step), the per-group scalar state
         (g<i>.<name>) and every parameter, flattened in named_parameters() order
  eval   Schedule-Free only: after optimizer.eval() (the averaged point x); at
         the end of training `loss` is the loss at x on the evaluation batch,
         after recomputing BatchNorm statistics at x where the model has any
         (the schedulefree README's recipe: forward passes in train mode with
         the optimizer in eval mode)
  train  Schedule-Free only: after optimizer.train() following a mid-training
         eval() (the point y again)
Parameters and losses are float32 ('%.9g' reads back exactly); the group
scalars are Python floats (repr) or ints.
"""
import contextlib
import io
import math
import os
import struct

import torch
import torch.nn.functional as F

import prodigyopt
import schedulefree

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "tests", "data", "optim_vectors")

BATCH = 16
FEATURES = 3


def f32(value):
    return struct.unpack("f", struct.pack("f", value))[0]


def batch(t):
    """Batch number t (1-based): x[i][j] = f32(sin(0.37 * k + 0.2)) with
    k = (t * BATCH + i) * FEATURES + j, and y[i] = f32(0.8 * a - 0.5 * b * c + 0.3)
    for the row's float32 values a, b, c (computed in double)."""
    xs, ys = [], []
    for i in range(BATCH):
        row = [f32(math.sin(0.37 * ((t * BATCH + i) * FEATURES + j) + 0.2)) for j in range(FEATURES)]
        a, b, c = row
        xs.append(row)
        ys.append([f32(0.8 * a - 0.5 * b * c + 0.3)])
    return torch.tensor(xs, dtype=torch.float32), torch.tensor(ys, dtype=torch.float32)


def make_model(kind):
    """The layer before BatchNorm has no bias: BatchNorm cancels it, so its
    gradient would be rounding noise, which Adam-like steps blow up to full
    size and no two BLAS builds agree on."""
    if kind == "mlp":
        return torch.nn.Sequential(torch.nn.Linear(3, 6), torch.nn.ReLU(), torch.nn.Linear(6, 1))
    if kind == "bn":
        return torch.nn.Sequential(torch.nn.Linear(3, 5, bias=False), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
                                   torch.nn.Linear(5, 1))
    raise ValueError(kind)


# Each case: the optimizer, the model, the constructor's keyword arguments and
# the param groups as (parameter names, overrides); None is one group of all.
# tests/optim_test.cpp has the same table: change both together.
CASES = [
    dict(name="sf_adamw_basic", opt="sf_adamw", model="mlp", kwargs=dict(lr=0.01)),
    dict(name="sf_adamw_decay_warmup", opt="sf_adamw", model="mlp",
         kwargs=dict(lr=0.02, betas=(0.95, 0.99), eps=1e-6, weight_decay=0.05, warmup_steps=10, r=1.0,
                     weight_lr_power=1.5)),
    dict(name="sf_adamw_groups", opt="sf_adamw", model="mlp",
         kwargs=dict(lr=0.01, weight_decay=0.01, warmup_steps=5),
         groups=[(["0.weight", "0.bias"], {}),
                 (["2.weight", "2.bias"], dict(lr=0.003, weight_decay=0.0, betas=(0.8, 0.999)))]),
    dict(name="sf_adamw_batchnorm", opt="sf_adamw", model="bn",
         kwargs=dict(lr=0.01, weight_decay=0.01, warmup_steps=5), mid_eval=30),
    dict(name="sf_sgd_basic", opt="sf_sgd", model="mlp", kwargs=dict(lr=0.1)),
    dict(name="sf_sgd_decay_warmup", opt="sf_sgd", model="mlp",
         kwargs=dict(lr=0.2, momentum=0.8, weight_decay=0.01, warmup_steps=10, r=0.5, weight_lr_power=1.0)),
    dict(name="sf_sgd_groups_batchnorm", opt="sf_sgd", model="bn",
         kwargs=dict(lr=0.1, weight_decay=0.001, warmup_steps=5),
         groups=[(["0.weight", "1.weight", "1.bias"], {}),
                 (["3.weight", "3.bias"], dict(lr=0.05, momentum=0.95, weight_decay=0.0))],
         mid_eval=25),
    dict(name="prodigy_basic", opt="prodigy", model="mlp", kwargs=dict()),
    dict(name="prodigy_coupled", opt="prodigy", model="mlp",
         kwargs=dict(weight_decay=0.1, decouple=False, use_bias_correction=True, beta3=0.98, slice_p=3,
                     d_coef=0.5, eps=1e-7)),
    dict(name="prodigy_decoupled_warmup", opt="prodigy", model="mlp",
         kwargs=dict(lr=0.5, betas=(0.0, 0.99), weight_decay=0.05, decouple=True, safeguard_warmup=True,
                     growth_rate=1.1, d0=1e-5, d_coef=2.0)),
    dict(name="prodigy_groups", opt="prodigy", model="mlp",
         kwargs=dict(weight_decay=0.01),
         groups=[(["0.weight", "0.bias"], {}),
                 (["2.weight"], dict(weight_decay=0.1, eps=1e-6, safeguard_warmup=True, d0=1e-5)),
                 (["2.bias"], dict(lr=0.0, weight_decay=0.02))]),
    dict(name="prodigy_batchnorm", opt="prodigy", model="bn", kwargs=dict(weight_decay=0.01)),
]
STEPS = 50
SEED = 20240611

SCALARS = {
    "sf_adamw": ["k", "weight_sum", "lr_max", "scheduled_lr"],
    "sf_sgd": ["k", "weight_sum", "lr_max", "scheduled_lr"],
    "prodigy": ["k", "d", "d_max", "d_numerator", "d_hat"],
}


def make_optimizer(case, model):
    named = dict(model.named_parameters())
    if case.get("groups") is None:
        params = list(model.parameters())
    else:
        params = [dict(params=[named[n] for n in names], **overrides) for names, overrides in case["groups"]]
    if case["opt"] == "sf_adamw":
        return schedulefree.AdamWScheduleFree(params, **case["kwargs"])
    if case["opt"] == "sf_sgd":
        return schedulefree.SGDScheduleFree(params, **case["kwargs"])
    with contextlib.redirect_stdout(io.StringIO()):  # "Using decoupled weight decay"
        return prodigyopt.Prodigy(params, **case["kwargs"])


def fmt32(value):
    return "%.9g" % value


def fmt_scalar(value):
    return str(value) if isinstance(value, int) else repr(float(value))


def run_case(case):
    torch.manual_seed(SEED)
    model = make_model(case["model"])
    optimizer = make_optimizer(case, model)
    schedule_free = case["opt"] != "prodigy"
    buffers = [(n, b) for n, b in model.named_buffers() if b.is_floating_point()]
    groups = len(optimizer.param_groups)
    scalar_names = SCALARS[case["opt"]]

    header = ["event", "step", "loss"]
    header += ["g%d.%s" % (g, s) for g in range(groups) for s in scalar_names]
    header += ["%s:%d" % (n, i) for n, p in model.named_parameters() for i in range(p.numel())]
    header += ["%s:%d" % (n, i) for n, b in buffers for i in range(b.numel())]
    rows = []

    def record(event, step, loss, with_scalars):
        row = [event, str(step), "" if loss is None else fmt32(loss)]
        for group in optimizer.param_groups:
            for s in scalar_names:
                row.append(fmt_scalar(group[s]) if with_scalars else "")
        row += [fmt32(v) for p in model.parameters() for v in p.detach().flatten().tolist()]
        row += [fmt32(v) for _, b in buffers for v in b.flatten().tolist()]
        rows.append(row)

    record("init", 0, None, False)
    model.train()
    if schedule_free:
        optimizer.train()
    for t in range(1, STEPS + 1):
        x, y = batch(t)
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        record("step", t, loss.item(), True)
        if schedule_free and case.get("mid_eval") == t:
            optimizer.eval()
            record("eval", t, None, True)
            optimizer.train()
            record("train", t, None, True)
    if schedule_free:
        optimizer.eval()
        with torch.no_grad():
            next_batch = STEPS + 1
            if buffers:
                model.train()
                for t in range(next_batch, next_batch + 4):
                    model(batch(t)[0])
                next_batch += 4
            model.eval()
            x, y = batch(next_batch)
            loss = F.mse_loss(model(x), y)
        record("eval", STEPS, loss.item(), True)

    path = os.path.join(OUT_DIR, case["name"] + ".csv")
    with open(path, "w") as out:
        out.write(",".join(header) + "\n")
        for row in rows:
            out.write(",".join(row) + "\n")
    return path


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_num_threads(1)
    for case in CASES:
        path = run_case(case)
        print("wrote", os.path.relpath(path, ROOT), os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
