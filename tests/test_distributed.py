"""DDP over 2 gloo processes on the CPU takes the steps of one process on the whole batch."""
import pytest
import torch

from dlnotes import distributed


def test_ddp_over_two_processes_equals_one_process_on_the_whole_batch():
    params = distributed.run_ddp(world_size=2, steps=5, batch=16)
    single = distributed.train_single(steps=5, batch=16)
    start = distributed._flat(distributed.make_model())
    # DDP's constructor broadcast rank 0's weights over rank 1's perturbed ones
    torch.testing.assert_close(params[1, 0], start, rtol=0, atol=0)
    for rank in range(2):
        torch.testing.assert_close(params[rank, 1], single, rtol=0, atol=1e-12)
    assert (single - start).abs().max() > 1e-3            # training moved the weights


def test_one_rank_alone_on_half_the_batch_differs():
    """The check can fail: without the all-reduce a rank follows only its own rows."""
    from torch import nn
    X, y = distributed.make_problem()
    model = distributed.make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for rows in distributed._batches(5, 16, len(X)):
        opt.zero_grad()
        nn.functional.mse_loss(model(X[rows[:8]]), y[rows[:8]]).backward()
        opt.step()
    single = distributed.train_single(steps=5, batch=16)
    assert (distributed._flat(model) - single).abs().max() > 1e-6


def test_bad_input():
    with pytest.raises(ValueError, match=r"run_ddp: batch must be divisible by "
                                         r"world_size \(2\), got 15"):
        distributed.run_ddp(world_size=2, batch=15)
    with pytest.raises(ValueError, match=r"run_ddp: world_size must be in \(0, inf\]"):
        distributed.run_ddp(world_size=0)
