"""HTTP sessions that connect only to addresses the operator's policy allows.

A name is resolved once, every address it resolves to is checked with
`core.outbound_policy.address_refusal`, and the connection is made to the checked address,
with the name kept for the `Host` header, TLS's SNI and the certificate check: there is
no second lookup for a rebinding DNS server to answer differently. Every request goes
through that check, a followed redirect's too (PostHog's queries follow none: its
query API answers where it is asked), and the environment's proxy settings are not
used, since a proxy would resolve the name itself.

Built on requests and urllib3 (both maintained, both already Quarterdeck's): a
requests `HTTPAdapter` whose connection pools are keyed by the checked IP, with
urllib3's own `server_hostname`/`assert_hostname`. `advocate`, which did this for
requests, has had no release since 2020; `safehttpx` covers async httpx GETs only.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool

from quarterdeck.core.outbound_policy import OutboundPolicy, address_refusal
from quarterdeck.errors import QuarterdeckError

__all__ = ["OutboundRefused", "guarded_session"]

_DEFAULT_PORTS = {"http": 80, "https": 443}

Resolver = Callable[[str, int], list[str]]


class OutboundRefused(QuarterdeckError):
    """A request was not made: its destination is not one the operator allows."""


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (raises OSError when it resolves to none)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class PinnedAdapter(HTTPAdapter):
    """A transport adapter that connects to the address it checked, for its name."""

    def __init__(self, policy: OutboundPolicy, resolver: Resolver = resolve) -> None:
        super().__init__(max_retries=0)  # retries are the caller's, with its own backoff
        self.policy = policy
        self.resolver = resolver

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """HTTPAdapter's send, with the Host header naming the host."""
        # The connection is to an IP: the Host header must still name the host.
        request.headers["Host"] = urlsplit(request.url or "").netloc.rsplit("@", 1)[-1]
        return super().send(
            request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
        )

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> HTTPConnectionPool:
        """A pool connected to the checked address of the request's host."""
        parts = urlsplit(request.url or "")
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
        address = self._checked_address(host, port)
        # types-requests: this method's caller takes `verify=None` and passes it on, as
        # requests does; the stub of the one it calls leaves None out.
        host_params, pool_key = self.build_connection_pool_key_attributes(request, verify, cert)  # type: ignore[arg-type]
        pool_kwargs: dict[str, Any] = dict(pool_key)
        if scheme == "https":
            # TLS speaks to the name: SNI and the certificate check use it, not the IP.
            pool_kwargs["server_hostname"] = host
            pool_kwargs["assert_hostname"] = host
        return self.poolmanager.connection_from_host(
            host=address, port=port, scheme=host_params["scheme"], pool_kwargs=pool_kwargs
        )

    def _checked_address(self, host: str, port: int) -> str:
        try:
            addresses = self.resolver(host, port)
        except OSError as exc:
            # A failed lookup is a network failure like any other: the caller retries.
            raise requests.ConnectionError(f"cannot resolve {host} ({exc})") from None
        if not addresses:
            raise requests.ConnectionError(f"cannot resolve {host}: no address")
        for address in addresses:
            why = address_refusal(address, self.policy)
            if why is not None:
                # One bad address refuses the name: a client may pick any of them.
                raise OutboundRefused(f"{host} resolves to {why}")
        return addresses[0]


def guarded_session(policy: OutboundPolicy, resolver: Resolver = resolve) -> requests.Session:
    """A session whose every request connects only where `policy` allows, resolved once;
    it ignores proxy settings of the environment. A redirect it follows is a request
    like any other, checked the same way (PostHog's queries follow none)."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: it would resolve names itself
    adapter = PinnedAdapter(policy, resolver)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
