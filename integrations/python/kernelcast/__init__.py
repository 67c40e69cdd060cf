"""KernelCast from Python: the API client, Triton's autotuner pruner, Kernel Tuner's cache files.

- :class:`kernelcast.Client`: every operation of ``kernelcast serve`` (or of ``kernelcast api`` without a server).
- :mod:`kernelcast.triton`: ``prune_configs_by`` dicts for ``@triton.autotune`` (gemm, elementwise, rows,
  attention).
- :mod:`kernelcast.kernel_tuner`: a Kernel Tuner cache file to a KernelCast measurement file, and predictions to a
  seeded ``tune_kernel`` run.

Standard library only; Triton and Kernel Tuner are never imported.
"""

from .client import DEFAULT_URL, Client, KernelCastError

__all__ = ["Client", "KernelCastError", "DEFAULT_URL", "__version__"]
__version__ = "0.1.0"
