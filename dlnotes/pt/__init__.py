"""PyTorch implementations: ``nn.Module`` and ``torch.optim.Optimizer`` subclasses.

Names and argument conventions follow torch.nn / torch.optim, so a built-in's
``state_dict`` loads into ours. Every public name of every module here is
re-exported. Placement is decided by ``dlnotes.device()`` alone.
"""
from .mlp import *  # noqa: F401,F403
from . import optim  # noqa: F401  (pt.optim.Adam, ...: names like torch.optim)
from .norm import *  # noqa: F401,F403
from .cnn import *  # noqa: F401,F403
from .bridge import *  # noqa: F401,F403
from .lightweight import *  # noqa: F401,F403
from .shufflenet import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .gan import *  # noqa: F401,F403
