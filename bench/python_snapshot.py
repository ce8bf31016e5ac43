"""torch-lr-finder's in-memory snapshot + restore on the MLP of
build/bench/snapshot_bench (784-256-128-10, Adam state after one step), as its
LRFinder does it: StateCacher(in_memory=True) stores deep copies of the model's
and the optimizer's state_dict when the finder is made, and reset() loads them
back. Prints the median milliseconds of store + restore over N runs, for
bench/results.md to set beside autolr's Snapshot.

    .deps/torch-2.15.0/bin/python bench/python_snapshot.py [N]
"""
import statistics
import sys
import time

import torch
from torch_lr_finder.lr_finder import StateCacher


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.randn(8, 784)).square().mean().backward()
    optimizer.step()
    times = []
    for _ in range(runs + 5):
        start = time.perf_counter()
        cacher = StateCacher(in_memory=True)
        cacher.store("model", model.state_dict())
        cacher.store("optimizer", optimizer.state_dict())
        model.load_state_dict(cacher.retrieve("model"))
        optimizer.load_state_dict(cacher.retrieve("optimizer"))
        times.append(time.perf_counter() - start)
    times = times[5:]  # the first runs warm the allocator up
    print(f"torch-lr-finder in-memory store + restore, MLP 784-256-128-10 with Adam state: "
          f"median {1e3 * statistics.median(times):.3f} ms over {runs} runs (torch {torch.__version__})")


if __name__ == "__main__":
    main()
