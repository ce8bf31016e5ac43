#!/usr/bin/python3
"""Records the example curves shipped in examples/curves/ with PyTorch, the way
torch-lr-finder and fastai record them: exponential LR from 1e-7 to 10 over
100 steps, EMA-smoothed loss (beta 0.98, bias-corrected), stop when the
smoothed loss exceeds 4x the best. Real data (Debian's dataset-fashion-mnist),
real models, so the CLI's example is a curve a user would really bring.

  /usr/bin/python3 tools/record_example_curves.py   (needs python3-torch)
"""
import csv
import gzip
import math
import os

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def range_test(model, optimizer, images, labels, batch, num_iter=100, start=1e-7, end=10.0, beta=0.98):
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(len(images), generator=gen)
    rows, avg, best = [], 0.0, math.inf
    for step in range(num_iter):
        lr = start * (end / start) ** (step / (num_iter - 1))
        for group in optimizer.param_groups:
            group["lr"] = lr
        idx = order[step * batch:(step + 1) * batch]
        loss = torch.nn.functional.cross_entropy(model(images[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        value = loss.item()
        avg = beta * avg + (1 - beta) * value
        smooth = avg / (1 - beta ** (step + 1))
        rows.append((step, lr, value, smooth))
        if not math.isfinite(smooth) or smooth > 4 * best:
            break
        best = min(best, smooth)
    return rows


def write(name, rows):
    path = os.path.join(ROOT, "examples", "curves", name + ".csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["step", "lr", "loss", "smooth_loss"])
        for step, lr, loss, smooth in rows:
            w.writerow([step, repr(lr), repr(loss), repr(smooth)])
    print(f"{path}: {len(rows)} steps")


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    images = torch.from_numpy(read_idx("train-images-idx3-ubyte.gz").astype(np.float32) / 255.0)
    labels = torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    images = (images - 0.2860) / 0.3530

    mlp = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(),
                              torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    write("fashion_mnist_mlp_sgd", range_test(mlp, torch.optim.SGD(mlp.parameters(), lr=1e-7, momentum=0.9),
                                               images, labels, batch=128))

    torch.manual_seed(1)
    cnn = torch.nn.Sequential(torch.nn.Unflatten(1, (1, 28)), torch.nn.Conv2d(1, 16, 3, padding=1),
                              torch.nn.BatchNorm2d(16), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.BatchNorm2d(32), torch.nn.ReLU(),
                              torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(32 * 7 * 7, 10))
    write("fashion_mnist_cnn_adam", range_test(cnn, torch.optim.Adam(cnn.parameters(), lr=1e-7),
                                                images, labels, batch=64))


if __name__ == "__main__":
    main()
