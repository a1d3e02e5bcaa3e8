"""Which Redis failures pass: the one rule the worker and the job's retry share.

A Redis that is gone, slow, loading, demoted to a read-only replica by a failover,
full under `maxmemory` with `noeviction`, or unable to persist refuses commands for a
while and then takes them again: the worker waits for it, and a job that met it is
retried. A wrong password or a command the ACL denies never passes by waiting: that
is a setting to fix, so it ends the worker with a message.
"""

from __future__ import annotations

# Redis's error codes (the first word of its answer) for states that end by themselves.
_PASSING_CODES = (
    "OOM",  # maxmemory reached with noeviction: writes refused until memory frees
    "READONLY",  # a replica, after a failover demoted this server
    "LOADING",  # restarting: the dataset is being read back
    "MASTERDOWN",  # a replica that lost its master, with replica-serve-stale-data no
    "UNBLOCKED",  # a blocked pop cut off because the server became a replica
    "NOREPLICAS",  # min-replicas-to-write not met
    "MISCONF",  # a failed background save with stop-writes-on-bgsave-error
    "TRYAGAIN",  # a cluster resharding
    "CLUSTERDOWN",
)


def passing(exc: BaseException) -> bool:
    """Whether `exc` is a Redis failure that ends by itself (see the module docstring)."""
    from redis.exceptions import (
        AuthenticationError,
        AuthorizationError,
        ConnectionError,
        ResponseError,
        TimeoutError,
    )

    if isinstance(exc, AuthenticationError | AuthorizationError):
        return False
    if isinstance(exc, ConnectionError | TimeoutError):
        return True  # BusyLoadingError (LOADING) included
    if isinstance(exc, ResponseError):
        # redis-py keeps the code Redis sent (its answer's first word) apart from
        # the message for the codes it names (ReadOnlyError, OutOfMemoryError, …).
        code = getattr(exc, "status_code", None) or (str(exc).split(maxsplit=1) or [""])[0]
        return str(code).upper() in _PASSING_CODES
    return False


def describe(exc: BaseException) -> str:
    """A Redis failure in one short line: its kind and Redis's words."""
    return f"{type(exc).__name__}: {exc}"[:300]
