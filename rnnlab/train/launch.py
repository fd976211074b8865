"""``rnnlab train --nproc N``: start N training processes on this machine through torchrun's
elastic agent (``torch.distributed.launcher``), the same engine as ``torchrun``.

The agent runs here, in the process the user started; it rendezvouses on the loopback address
(a free port picked by the operating system, so nothing outside this machine is needed), starts
``python -m rnnlab <the same arguments>`` N times with torchrun's environment (``RANK``,
``WORLD_SIZE``, ...), watches them, and stops all of them as soon as one fails. Each worker is
then an ordinary ``rnnlab train`` that finds itself inside torchrun (see
:mod:`rnnlab.train.distributed`). No restarts: a failed job is resumed with ``--resume``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import uuid
from collections.abc import Sequence

from rnnlab.errors import UserError

logger = logging.getLogger("rnnlab.train")
EXIT_BAD_INPUT = 2  # a worker's UserError: it printed its message itself
EXIT_INTERRUPTED = 130


def worker_threads(nproc: int) -> int:
    """Intra-op threads per process: the cores shared out (torchrun itself sets 1)."""
    return max(1, (os.cpu_count() or 1) // nproc)


def launch_local(argv: Sequence[str], nproc: int, *, out_dir: str = "") -> int:
    """Run ``rnnlab ARGV`` as ``nproc`` data-parallel processes; their exit code.

    ``OMP_NUM_THREADS`` and ``GLOO_SOCKET_IFNAME`` are set for the workers unless the user set
    them: threads shared out over the cores, and gloo on the loopback interface, where the
    rendezvous is. A worker that dies (a signal, an exception) stops the job with a one-line
    :class:`UserError` naming it; one that stopped on a user error already said why.
    """
    cores = os.cpu_count() or 1
    if nproc > cores:
        logger.warning("%d processes on %d cores: they will take turns on the cores, and "
                       "train slower than %d would", nproc, cores, cores)
    # The workers inherit this process's environment; it is put back afterwards.
    saved = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "GLOO_SOCKET_IFNAME")}
    os.environ.setdefault("OMP_NUM_THREADS", str(worker_threads(nproc)))
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    try:
        return _launch(argv, nproc, out_dir)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _launch(argv: Sequence[str], nproc: int, out_dir: str) -> int:
    """:func:`launch_local` once the workers' environment is set."""
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    if not logging.getLogger().isEnabledFor(logging.INFO):
        # The agent's own lines (closing signals, a failure table) repeat what the error says.
        for name in [*logging.root.manager.loggerDict, "torch.distributed.elastic"]:
            if name.startswith("torch.distributed.elastic"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=nproc,
        run_id=f"rnnlab-{uuid.uuid4().hex[:12]}",
        rdzv_backend="c10d",
        rdzv_endpoint="127.0.0.1:0",  # port 0: the OS picks a free one for the agent's store
        local_addr="127.0.0.1",  # MASTER_ADDR of the workers, not this host's name
        max_restarts=0,
        monitor_interval=0.2,
        start_method="spawn",
    )
    try:
        elastic_launch(config, sys.executable)("-u", "-m", "rnnlab", *argv)
    except ChildFailedError as err:
        # The cause, not the echo: a rank killed by a signal other than the agent's SIGTERM
        # to the survivors, else the first to fail.
        killed = [(r, f) for r, f in err.failures.items()
                  if f.exitcode < 0 and f.exitcode != -signal.SIGTERM]
        rank, failure = min(killed, key=lambda rf: rf[1].timestamp) if killed else (
            err.get_first_failure())
        return _failed(rank, failure.exitcode, failure.pid, out_dir)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as err:  # the agent's SignalException (SIGTERM, SIGINT sent to it)
        if type(err).__name__ == "SignalException":
            return EXIT_INTERRUPTED
        raise
    return 0


def _failed(rank: int, exitcode: int, pid: int, out_dir: str) -> int:
    """The exit code of a failed job, after saying which process failed and how."""
    if exitcode in (EXIT_BAD_INPUT, EXIT_INTERRUPTED):
        return exitcode  # the worker printed its own line ("rnnlab train: error: ...")
    if exitcode < 0:
        try:
            how = f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"was killed by signal {-exitcode}"
    else:
        how = f"exited with code {exitcode}"
    resume = (f"; last/ in {out_dir} holds the last checkpoint: add --resume to continue"
              if out_dir else "")
    raise UserError(f"training process rank {rank} (pid {pid}) {how}, so the job "
                    f"stopped{resume}")
