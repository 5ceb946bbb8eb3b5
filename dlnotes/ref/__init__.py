"""NumPy reference implementations: explicit forward and backward, NumPy only.

Every public name of every module here is re-exported, so a notebook writes
``ref.linear_forward(...)`` without knowing which file holds it. This package
never imports torch: the parity tests compare two independent codes.
"""

from . import autodiff  # noqa: F401  (ref.autodiff.Value)
from .activations import *  # noqa: F401,F403
from .init import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .mlp import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
from .functions import *  # noqa: F401,F403
from .norm import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pool import *  # noqa: F401,F403
from .lightweight import *  # noqa: F401,F403
from .rnn import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .gan import *  # noqa: F401,F403
