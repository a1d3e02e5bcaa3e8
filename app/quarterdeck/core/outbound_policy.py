"""Where a metric source may be sent a credential: the operator's rule, as pure checks.

A config names the PostHog host its queries (and the personal API key) go to, but the
people who write a config are not the people who hold the key. So the host must be one
of PostHog's clouds, or a host the *operator* allows in the environment
(`QUARTERDECK_POSTHOG_HOSTS`), never something a config alone decides. On top of that,
whatever the name, the address a request connects to must be a public unicast one:
loopback, private, link-local (cloud metadata), CGNAT, multicast, unspecified and
reserved addresses are refused, unless the operator opts in to private addresses for
the hosts they allow (`QUARTERDECK_POSTHOG_ALLOW_PRIVATE`, for a self-hosted PostHog on
an internal network). Link-local, metadata, multicast and unspecified addresses are
refused even then.

Pure: these functions look at URLs and IP addresses as text; resolving names and
connecting is `sources.outbound`'s job, which calls `address_refusal` on every address
a name resolves to.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = [
    "ALLOW_PRIVATE_ENV",
    "HOSTS_ENV",
    "POSTHOG_CLOUDS",
    "POSTHOG_KEY_ENV",
    "OutboundPolicy",
    "address_refusal",
    "host_refusal",
    "origin_of",
    "parse_policy",
    "policy_from_env",
]

HOSTS_ENV = "QUARTERDECK_POSTHOG_HOSTS"
# The PostHog personal API key the CLI and the Action send (the App: the operator's
# per-installation mapping instead).
POSTHOG_KEY_ENV = "POSTHOG_PERSONAL_API_KEY"
ALLOW_PRIVATE_ENV = "QUARTERDECK_POSTHOG_ALLOW_PRIVATE"

# PostHog's private API (the query API among it) answers on these origins; the
# `us.i.`/`eu.i.` hosts serve only the public capture and flags endpoints
# (posthog.com/docs/api: "https://us.posthog.com for private [endpoints]").
POSTHOG_CLOUDS = ("https://us.posthog.com", "https://eu.posthog.com")

# Names that reach a cloud provider's instance metadata service from inside it.
_METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
# Metadata services' addresses (AWS, GCP, Azure; AWS IPv6; ECS task; Alibaba; Oracle):
# refused even where the operator allows private addresses.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "fd00:ec2::254",
        "169.254.170.2",
        "100.100.100.200",
        "192.0.0.192",
    )
)
_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class OutboundPolicy:
    """The operator's rule: origins allowed besides PostHog's clouds, and whether those
    may resolve to loopback or private addresses."""

    allowed: frozenset[str] = frozenset()  # origins, as `origin_of` writes them
    private: bool = False

    def allows(self, origin: str) -> bool:
        """Whether requests may go to `origin` (scheme://host[:port], normalised)."""
        return origin in POSTHOG_CLOUDS or origin in self.allowed


def origin_of(url: str) -> str | None:
    """`url`'s scheme://host[:port], lower-cased, the default port left out; None when
    it is no http(s) URL with a host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    shown_port = f":{port}" if port is not None and port != _DEFAULT_PORTS[scheme] else ""
    return f"{scheme}://{host}{shown_port}"


def host_refusal(url: str, policy: OutboundPolicy, *, name: str = "PostHog") -> str | None:
    """Why `url` may not be sent a request (and a key), judged before any DNS lookup;
    None when it may. The reason says what to do and who can do it."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return f"{name} host {text!r} is not a URL; write it as https://us.posthog.com"
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        shown = f"{scheme}://" if scheme else "no scheme"
        return f"{name} host {text!r} uses {shown}; only https:// (or http://) URLs are allowed"
    if not parts.hostname:
        return f"{name} host {text!r} names no host; write it as https://us.posthog.com"
    if parts.username is not None or parts.password is not None:
        return f"{name} host must not carry a user name or password; give the host alone"
    host = parts.hostname.lower().rstrip(".")
    if host in _METADATA_NAMES:
        return f"{name} host {host} is a cloud metadata service"
    literal = _literal_address(host)
    if literal is not None:
        why = address_refusal(str(literal), policy)
        if why is not None:
            return f"{name} host {host} is {why}"
    elif (host == "localhost" or host.endswith(".localhost")) and not policy.private:
        return f"{name} host {host} is a loopback address"
    origin = origin_of(text)
    if origin is None or not policy.allows(origin):
        return (
            f"{name} host {origin or text} is not PostHog's US or EU cloud, and whoever runs "
            f"Quarterdeck has not allowed it in {HOSTS_ENV} (the setting for a self-hosted "
            "PostHog)"
        )
    return None


def address_refusal(address: str, policy: OutboundPolicy) -> str | None:
    """Why a connection may not go to the IP `address` (e.g. "a loopback address"); None
    when it may. IPv4 addresses mapped into IPv6 are judged as the IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return f"not an IP address ({address!r})"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA_ADDRESSES:
        return f"a cloud metadata address ({ip})"
    if ip.is_unspecified:
        return f"the unspecified address ({ip})"
    if ip.is_multicast:
        return f"a multicast address ({ip})"
    if ip.is_link_local:
        return f"a link-local address ({ip})"
    if ip.is_global:
        return None
    kind = "a loopback address" if ip.is_loopback else "a private or reserved address"
    if policy.private and (ip.is_loopback or ip.is_private or _cgnat(ip)):
        return None
    return f"{kind} ({ip})"


def parse_policy(hosts: str, allow_private: str) -> OutboundPolicy:
    """The policy the operator's settings give: `hosts` (QUARTERDECK_POSTHOG_HOSTS,
    origins separated by commas or spaces) and `allow_private`
    (QUARTERDECK_POSTHOG_ALLOW_PRIVATE, true or false).

    Raises ValueError naming the setting and the value that is wrong.
    """
    allowed: set[str] = set()
    for item in hosts.replace(",", " ").split():
        origin = origin_of(item)
        parts = urlsplit(item)
        if origin is None or parts.username is not None or parts.path.strip("/"):
            raise ValueError(
                f"{HOSTS_ENV} holds {item!r}, which is not an http(s) origin; list origins "
                "such as https://posthog.internal.example, separated by commas"
            )
        if origin.split("://", 1)[1].split(":")[0].strip("[]") in _METADATA_NAMES:
            raise ValueError(f"{HOSTS_ENV} names a cloud metadata service ({item!r}); remove it")
        allowed.add(origin)
    flag = allow_private.strip().lower()
    if flag not in ("", "0", "false", "no", "off", "1", "true", "yes", "on"):
        raise ValueError(f"{ALLOW_PRIVATE_ENV} must be true or false, not {allow_private!r}")
    return OutboundPolicy(frozenset(allowed), private=flag in ("1", "true", "yes", "on"))


def policy_from_env(env: Mapping[str, str]) -> OutboundPolicy:
    """`parse_policy` of the operator's two settings in `env`; raises ValueError."""
    return parse_policy(env.get(HOSTS_ENV, ""), env.get(ALLOW_PRIVATE_ENV, ""))


@dataclass(frozen=True)
class PostHogAccess:
    """The key PostHog queries carry, where it came from (for messages), what to say
    when there is none, and where the operator lets it go."""

    key: str | None
    key_source: str = POSTHOG_KEY_ENV
    no_key: str = f"no PostHog key; set {POSTHOG_KEY_ENV}"
    policy: OutboundPolicy = field(default_factory=lambda: OutboundPolicy())

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PostHogAccess:
        """The CLI's and the Action's: `POSTHOG_PERSONAL_API_KEY` and the operator's
        host settings. Raises ValueError when a setting is malformed."""
        return cls(env.get(POSTHOG_KEY_ENV), policy=policy_from_env(env))


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


_CGNAT = ipaddress.ip_network("100.64.0.0/10")


def _cgnat(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT
