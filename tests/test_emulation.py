"""The emulated other machine (conftest.py) really changes trained figures.

nbval's pass proves portability only if the emulation perturbs the low digits of
a trained number the way another CPU would: otherwise stored outputs would match
whether or not they carry the measured-number marker. Here the same small
training run executes in two fresh processes, one with this machine's defaults
and one with the emulated settings, and their final losses must differ.
"""
import os
import subprocess
import sys

from conftest import EMULATED

TRAIN = """
import dlnotes, torch
from torch import nn
dlnotes.setup()
dlnotes.seed(0)
X, y = torch.randn(256, 1, 32), torch.randint(0, 10, (256,))
model = nn.Sequential(nn.Conv1d(1, 8, 5), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 28, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
for _ in range(100):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(X), y)
    loss.backward()
    opt.step()
print(repr(loss.item()), torch.backends.cpu.get_cpu_capability(), torch.get_num_threads())
"""


def final_loss(env):
    out = subprocess.run([sys.executable, "-c", TRAIN], env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.split()


def test_emulated_machine_changes_a_trained_figure():
    default = {k: v for k, v in os.environ.items() if k not in EMULATED}
    loss, capability, threads = final_loss(default)
    emulated_loss, emulated_capability, emulated_threads = final_loss({**default, **EMULATED})
    assert (emulated_capability, emulated_threads) == ("DEFAULT", "2")
    assert capability != "DEFAULT" and threads == "1", "the defaults equal the emulation"
    assert abs(float(loss) - float(emulated_loss)) < 1e-4      # the same run ...
    assert loss != emulated_loss, (                          # ... in other low digits
        f"the emulated settings left the trained loss unchanged ({loss})")
