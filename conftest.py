"""Run the whole suite as another machine would.

Stored notebook outputs come from the developer's machine with the default
settings. Here torch's vectorised kernels, oneDNN's instruction set and the
thread count are set to values that differ from the defaults of common x86
machines and of the book (AVX2 or AVX-512, 1 thread), so a printed number that depends on
the machine (a trained accuracy, a float32 sum) differs in its low digits and
nbval fails unless the number carries the measured-number marker `~`.
tests/test_emulation.py proves the settings really change a trained figure.

Set before anything imports torch: this file is loaded first, and nbval's
kernels are child processes that inherit the environment.
"""
import os

EMULATED = {
    "ATEN_CPU_CAPABILITY": "default",   # torch's kernels without AVX2/AVX-512
    "ONEDNN_MAX_CPU_ISA": "SSE41",      # oneDNN's convolutions and matmuls likewise
    "DLNOTES_THREADS": "2",             # dlnotes.setup()'s default is 1
}

if os.environ.get("DLNOTES_EMULATE", "1") != "0":
    os.environ.update(EMULATED)
