"""Data-parallel training that really runs: DDP over CPU processes with gloo.

A worker started by ``torch.multiprocessing.spawn`` must be importable by the
new process, so it lives here rather than in a notebook cell. The check it runs
is the defining property of data parallelism: ``W`` processes, each computing
the gradient of its ``B / W`` rows and averaging the gradients with an
all-reduce (what DDP does during ``backward()``), take exactly the steps of one
process on the whole batch of ``B``. Compared in float64, where the only
difference is the order of a few additions.

    python -m dlnotes.distributed                      # spawns 2 processes itself
    torchrun --nproc_per_node=2 -m dlnotes.distributed # torchrun starts them

Under ``torchrun`` the same code runs on several machines too
(``--nnodes=2 --node_rank=0|1 --rdzv-endpoint=HOST:PORT``), since gloo talks TCP.
"""
import argparse
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from ._validate import check_positive

__all__ = ["make_problem", "make_model", "train_single", "run_ddp"]


def make_problem(*, n=64, d=8, seed=0):
    """A fixed regression problem: X (n, d), y (n, 1), float64."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = torch.sin(X.sum(1, keepdim=True))
    return X, y


def make_model(*, d=8, hidden=16, seed=0):
    """The small float64 MLP every process starts from (same seed, same weights)."""
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, hidden), nn.Tanh(), nn.Linear(hidden, 1)).double()


def _flat(model):
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def _batches(steps, batch, n):
    """Rows of each step's batch: consecutive slices, wrapping around the data."""
    return [torch.arange(s * batch, (s + 1) * batch) % n for s in range(steps)]


def train_single(*, steps=5, batch=16, lr=0.1, seed=0):
    """One process, full batches of ``batch`` rows: the reference run."""
    X, y = make_problem(seed=seed)
    model = make_model(seed=seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for rows in _batches(steps, batch, len(X)):
        opt.zero_grad()
        nn.functional.mse_loss(model(X[rows]), y[rows]).backward()
        opt.step()
    return _flat(model)


def _train_ddp(rank, world_size, steps, batch, lr, seed, out=None):
    """The body every process runs once the process group exists."""
    X, y = make_problem(seed=seed)
    model = make_model(seed=seed)
    if rank != 0:                       # start the other ranks elsewhere on purpose:
        with torch.no_grad():           # DDP's constructor broadcasts rank 0's weights
            for p in model.parameters():
                p.add_(1.0)
    ddp = DistributedDataParallel(model)
    if out is not None:
        out[rank, 0] = _flat(model)
    opt = torch.optim.SGD(ddp.parameters(), lr=lr)
    share = batch // world_size
    for rows in _batches(steps, batch, len(X)):
        mine = rows[rank * share:(rank + 1) * share]
        opt.zero_grad()
        # each rank's loss is the mean over its own rows; DDP's bucketed all-reduce
        # averages the gradients over ranks: the gradient of the whole batch's mean
        nn.functional.mse_loss(ddp(X[mine]), y[mine]).backward()
        opt.step()
    if out is not None:
        out[rank, 1] = _flat(model)
    return _flat(model)


def _worker(rank, world_size, init_method, steps, batch, lr, seed, out):
    dist.init_process_group("gloo", init_method=init_method, rank=rank,
                            world_size=world_size)
    try:
        _train_ddp(rank, world_size, steps, batch, lr, seed, out)
    finally:
        dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_ddp(*, world_size=2, steps=5, batch=16, lr=0.1, seed=0):
    """Spawn ``world_size`` gloo processes on this machine and train with DDP.

    Returns:
        params: (world_size, 2, n_params) float64: each rank's flattened
        parameters right after wrapping in DDP (index 0) and after training (1).
    """
    check_positive("run_ddp", "world_size", world_size, integer=True)
    check_positive("run_ddp", "steps", steps, integer=True)
    if batch % world_size:
        raise ValueError(f"run_ddp: batch must be divisible by world_size "
                         f"({world_size}), got {batch}")
    n_params = _flat(make_model(seed=seed)).numel()
    out = torch.zeros(world_size, 2, n_params, dtype=torch.float64).share_memory_()
    init = f"tcp://127.0.0.1:{_free_port()}"
    mp.spawn(_worker, args=(world_size, init, steps, batch, lr, seed, out),
             nprocs=world_size, join=True)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dlnotes.distributed")
    parser.add_argument("--world-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args(argv)
    reference = train_single(steps=args.steps, batch=args.batch)
    if "RANK" in os.environ:            # started by torchrun: the group comes from env
        dist.init_process_group("gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        try:
            params = _train_ddp(rank, world, args.steps, args.batch, 0.1, 0)
        finally:
            dist.destroy_process_group()
        if rank != 0:
            return 0
    else:
        world = args.world_size
        params = run_ddp(world_size=world, steps=args.steps, batch=args.batch)[0, 1]
    diff = (params - reference).abs().max().item()
    print(f"DDP over {world} processes vs 1 process: max |param diff| = {diff:.1e}")
    return 0 if diff < 1e-12 else 1


if __name__ == "__main__":
    raise SystemExit(main())
