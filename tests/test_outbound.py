"""Where a PostHog key may go: PostHog's clouds, or what the operator's environment
allows; never a loopback, private, link-local or metadata address, checked after DNS,
on the address actually connected to; and a source's answer never quoted.

Listeners are real HTTP servers on 127.0.0.1 (tests/fakeposthog.py), which the
default rule refuses: only the operator's settings in a test's environment let a run
reach one, and where it must not, the listener's request log proves nothing arrived.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.config import build_config
from quarterdeck.core.outbound_policy import (
    OutboundPolicy,
    PostHogAccess,
    address_refusal,
    host_refusal,
    parse_policy,
    policy_from_env,
)
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.errors import MetricSourceError
from quarterdeck.services.team_figures import FigureSources, team_figures
from quarterdeck.sources.outbound import OutboundRefused, guarded_session
from quarterdeck.sources.posthog import PostHogProject, query_series
from tests.fakeposthog import FakePostHog, allowing, serve
from tests.gitrepo import GitRepo
from tests.reviewrepos import CONFIG, small_repo

KEY = "phx_outbound_test_key_9Rk"
QUERY = "SELECT month, value FROM signups WHERE at >= {start} AND at < {end}"
START, END = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
CFG = ".github/quarterdeck.yml"
SIGNUPS = "title: Signups, unit: count, section: Acquisition"


@pytest.fixture
def posthog() -> Iterator[FakePostHog]:
    fake = FakePostHog(keys={KEY: {"query:read"}})
    fake.answer(QUERY, [["2026-11-01", 7]])
    with serve(fake):
        yield fake


def ask(url: str, env: dict[str, str], **kw: object) -> object:
    """One query to `url` under the operator's settings `env`."""
    return query_series(
        PostHogProject(url, "12345"),
        PostHogAccess(KEY, policy=policy_from_env(env)),
        QUERY,
        START,
        END,
        metric="signups",
        sleep=lambda _s: None,
        **kw,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- the rule


REFUSED_BY_DEFAULT = [
    ("file:///etc/passwd", "uses file://"),
    ("gopher://127.0.0.1:6379/_INFO", "uses gopher://"),
    ("http://169.254.169.254/latest/meta-data", "a cloud metadata address (169.254.169.254)"),
    ("http://metadata.google.internal", "metadata.google.internal is a cloud metadata service"),
    ("http://[fd00:ec2::254]", "a cloud metadata address (fd00:ec2::254)"),
    ("http://127.0.0.1:6379", "a loopback address (127.0.0.1)"),
    ("http://[::1]:8000", "a loopback address (::1)"),
    ("http://[::ffff:127.0.0.1]", "a loopback address (127.0.0.1)"),
    ("http://localhost:8000", "localhost is a loopback address"),
    ("http://10.1.2.3", "a private or reserved address (10.1.2.3)"),
    ("http://192.168.0.10", "a private or reserved address (192.168.0.10)"),
    ("http://100.64.0.1", "a private or reserved address (100.64.0.1)"),  # CGNAT
    ("http://169.254.1.1", "a link-local address (169.254.1.1)"),
    ("http://0.0.0.0", "the unspecified address (0.0.0.0)"),
    ("http://224.0.0.1", "a multicast address (224.0.0.1)"),
    ("https://posthog.internal.example", "is not PostHog's US or EU cloud"),
    ("https://us.i.posthog.com", "is not PostHog's US or EU cloud"),  # capture only
    ("https://user:pw@us.posthog.com", "must not carry a user name or password"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED_BY_DEFAULT)
def test_the_default_rule_allows_posthogs_clouds_only(url: str, why: str) -> None:
    refused = host_refusal(url, OutboundPolicy())
    assert refused is not None
    assert why in refused
    for cloud in ("https://us.posthog.com", "https://eu.posthog.com/", "HTTPS://EU.posthog.com"):
        assert host_refusal(cloud, OutboundPolicy()) is None


def test_what_the_operator_allows_and_what_stays_refused() -> None:
    policy = parse_policy(
        "https://posthog.internal.example, http://10.1.2.3:8000 http://169.254.169.254", "true"
    )
    assert host_refusal("https://posthog.internal.example/", policy) is None
    assert host_refusal("http://10.1.2.3:8000", policy) is None
    assert "is not PostHog's US or EU cloud" in (host_refusal("http://10.1.2.3:9000", policy) or "")
    # Metadata, link-local, multicast and unspecified addresses: never, whatever is allowed.
    assert "cloud metadata address" in (host_refusal("http://169.254.169.254", policy) or "")
    for address in ("169.254.170.2", "fe80::1", "ff02::1", "::", "fd00:ec2::254"):
        assert address_refusal(address, policy) is not None
    assert address_refusal("127.0.0.1", policy) is None  # loopback: the operator opted in


@pytest.mark.parametrize(
    ("hosts", "private", "words"),
    [
        ("file:///etc", "", "QUARTERDECK_POSTHOG_HOSTS holds 'file:///etc', which is not"),
        ("https://a.example/api", "", "not an http(s) origin"),
        ("http://metadata.google.internal", "", "names a cloud metadata service"),
        ("", "maybe", "QUARTERDECK_POSTHOG_ALLOW_PRIVATE must be true or false, not 'maybe'"),
    ],
)
def test_malformed_operator_settings_name_the_setting(hosts: str, private: str, words: str) -> None:
    with pytest.raises(ValueError, match="QUARTERDECK_POSTHOG_") as failure:
        parse_policy(hosts, private)
    assert words in str(failure.value)


# --------------------------------------------------------------------------- over HTTP


def test_a_listener_on_loopback_gets_nothing_unless_the_operator_allows_it(
    posthog: FakePostHog,
) -> None:
    with pytest.raises(MetricSourceError, match="is a loopback address") as failure:
        ask(posthog.url, {})
    assert "the key was not sent" in str(failure.value)
    # The origin alone is not enough: loopback needs the operator's opt-in too.
    with pytest.raises(MetricSourceError, match="is a loopback address"):
        ask(posthog.url, {"QUARTERDECK_POSTHOG_HOSTS": posthog.url})
    assert posthog.requests == []

    assert ask(posthog.url, allowing(posthog)) == {Month(2026, 11): 7.0}
    (request,) = posthog.requests
    assert request["headers"]["authorization"] == f"Bearer {KEY}"


def test_a_name_is_judged_by_what_it_resolves_to(posthog: FakePostHog) -> None:
    # `127.1` is no IP literal to Python's ipaddress, but the resolver (real
    # getaddrinfo) makes it 127.0.0.1: refused after resolution, though allowed by name.
    sneaky = posthog.url.replace("127.0.0.1", "127.1")
    with pytest.raises(MetricSourceError) as failure:
        ask(sneaky, {"QUARTERDECK_POSTHOG_HOSTS": sneaky})
    assert str(failure.value) == (
        "metric signups: PostHog host 127.1 resolves to a loopback address (127.0.0.1); "
        "the key was not sent"
    )
    assert posthog.requests == []


def test_the_connection_goes_to_the_address_checked_once(posthog: FakePostHog) -> None:
    port = posthog.url.rsplit(":", 1)[1]
    url = f"http://posthog.internal.example:{port}"  # resolvable only by this resolver
    asked: list[str] = []

    def rebinding(host: str, _port: int) -> list[str]:
        # The first answer is checked and used; a rebinding server's next answer
        # would be another address, but there is no second lookup to answer.
        asked.append(host)
        return ["127.0.0.1"] if len(asked) == 1 else ["169.254.169.254"]

    env = {"QUARTERDECK_POSTHOG_HOSTS": url, "QUARTERDECK_POSTHOG_ALLOW_PRIVATE": "true"}
    assert ask(url, env, resolver=rebinding) == {Month(2026, 11): 7.0}

    assert asked == ["posthog.internal.example"]
    (request,) = posthog.requests
    assert request["headers"]["host"] == f"posthog.internal.example:{port}"


def test_one_refused_address_among_several_refuses_the_name(posthog: FakePostHog) -> None:
    url = "https://posthog.internal.example"
    with pytest.raises(MetricSourceError, match=r"resolves to a link-local address \(fe80::1\)"):
        ask(
            url,
            {"QUARTERDECK_POSTHOG_HOSTS": url},
            resolver=lambda _h, _p: ["93.184.216.34", "fe80::1"],
        )
    assert posthog.requests == []


def test_redirects_are_not_followed(posthog: FakePostHog) -> None:
    target = FakePostHog(keys={KEY: {"query:read"}})
    with serve(target):
        location = f"{target.url}/api/projects/12345/query/"
        posthog.fixed = (307, {}, {"Location": location})
        env = {
            "QUARTERDECK_POSTHOG_HOSTS": f"{posthog.url} {target.url}",
            "QUARTERDECK_POSTHOG_ALLOW_PRIVATE": "on",
        }
        with pytest.raises(MetricSourceError) as failure:
            ask(posthog.url, env)

    assert target.requests == []  # not even an allowed host gets the redirected key
    assert len(posthog.requests) == 1
    assert "PostHog answered 307 (a redirect, not followed)" in str(failure.value)
    assert location not in str(failure.value)


def test_a_redirect_followed_by_a_guarded_session_is_checked_like_any_request(
    posthog: FakePostHog,
) -> None:
    posthog.fixed = (302, {}, {"Location": "http://169.254.169.254/latest/meta-data/"})
    refused = pytest.raises(OutboundRefused, match=r"169\.254\.169\.254 resolves to a cloud")
    with guarded_session(policy_from_env(allowing(posthog))) as session, refused:
        session.post(f"{posthog.url}/anything", json={}, allow_redirects=True)
    assert len(posthog.requests) == 1


# --------------------------------------------------------------------------- short status

LISTENER_WORDS = "@everyone see <a href='https://evil.example'>here</a> " + "x" * 400


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (502, {"detail": LISTENER_WORDS}, "metric signups: PostHog answered 502"),
        (
            400,
            {"code": "query_error", "detail": LISTENER_WORDS},
            "metric signups: PostHog refused the query: query_error; run it in PostHog's SQL "
            "editor to see why",
        ),
        (
            400,
            {"code": "<b>@everyone</b>", "detail": LISTENER_WORDS},
            "metric signups: PostHog refused the query; run it in PostHog's SQL editor to see why",
        ),
        (418, {"detail": LISTENER_WORDS, "results": "@everyone"}, "PostHog answered 418"),
        (200, {"results": [["@everyone " * 40, 1]]}, "row 1: its month is not a date"),
    ],
)
def test_a_sources_answer_is_never_quoted(
    posthog: FakePostHog, status: int, body: dict[str, object], said: str
) -> None:
    posthog.fixed = (status, body, {})
    with pytest.raises(MetricSourceError) as failure:
        ask(posthog.url, allowing(posthog))
    assert said in str(failure.value)
    assert "@everyone" not in str(failure.value)
    assert "evil.example" not in str(failure.value)


# --------------------------------------------------------------------------- validate and review


def repo_with_host(tmp_path: Path, host: str) -> tuple[GitRepo, int]:
    """A clone whose config has a PostHog metric and `host`; returns it and the host's line."""
    repo = small_repo(tmp_path / "web")
    metric = f"    metrics:\n      - {{id: signups, {SIGNUPS}, posthog: '{QUERY}'}}\n"
    config = CONFIG.replace("    members: [carol]\n", "    members: [carol]\n" + metric)
    config += f"sources:\n  posthog:\n    project: 12345\n    host: '{host}'\n"
    repo.commit("PostHog", {CFG: config}, date=datetime(2026, 11, 20, 12, tzinfo=UTC))
    line = config.splitlines().index(f"    host: '{host}'") + 1
    return repo, line


@pytest.mark.parametrize(
    "host",
    [
        "http://127.0.0.1:6379",
        "http://169.254.169.254",
        "http://metadata.google.internal",
        "http://[fd00:ec2::254]",
        "http://10.0.0.7",
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_x",
        "https://posthog.internal.example",
    ],
)
def test_validate_names_the_line_of_a_host_the_operator_does_not_allow(
    tmp_path: Path,
    host: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("QUARTERDECK_POSTHOG_HOSTS", raising=False)
    monkeypatch.delenv("QUARTERDECK_POSTHOG_ALLOW_PRIVATE", raising=False)
    repo, line = repo_with_host(tmp_path, host)

    assert main(["validate", "--repo", str(repo.path)]) == 1

    err = capsys.readouterr().err
    assert f"{CFG}:{line}: sources.posthog.host: PostHog host " in err
    assert "the PostHog key is sent nowhere and PostHog's figures are unavailable" in err


def test_validate_accepts_what_the_operator_allows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _ = repo_with_host(tmp_path, "http://127.0.0.1:8123")
    monkeypatch.setenv("QUARTERDECK_POSTHOG_HOSTS", "http://127.0.0.1:8123")
    monkeypatch.setenv("QUARTERDECK_POSTHOG_ALLOW_PRIVATE", "true")

    assert main(["validate", "--repo", str(repo.path)]) == 0
    assert "sources.posthog.host" not in capsys.readouterr().err

    monkeypatch.setenv("QUARTERDECK_POSTHOG_ALLOW_PRIVATE", "perhaps")
    assert main(["validate", "--repo", str(repo.path)]) == 1
    err = capsys.readouterr().err
    assert "QUARTERDECK_POSTHOG_ALLOW_PRIVATE must be true or false, not 'perhaps'" in err
    assert "Traceback" not in err


def test_the_review_says_the_figure_is_unavailable_and_the_listener_gets_nothing(
    tmp_path: Path, posthog: FakePostHog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTHOG_PERSONAL_API_KEY", KEY)
    monkeypatch.delenv("QUARTERDECK_POSTHOG_HOSTS", raising=False)
    monkeypatch.delenv("QUARTERDECK_POSTHOG_ALLOW_PRIVATE", raising=False)
    repo, _ = repo_with_host(tmp_path, posthog.url)
    out = tmp_path / "review.md"

    argv = ["review", "--repo", str(repo.path), "--month", "2026-11", "--team", "growth"]
    assert main([*argv, "-o", str(out)]) == 0

    body = out.read_text()
    assert "_unavailable: PostHog host 127.0.0.1 is a loopback address (127.0.0.1); the key " in (
        body
    )
    assert posthog.requests == []
    assert KEY not in body


def test_figure_sources_take_the_operators_settings_from_their_environment(
    posthog: FakePostHog,
) -> None:
    config_text = (
        "teams:\n  growth:\n    members: [carol]\n    metrics:\n"
        f"      - {{id: signups, {SIGNUPS}, posthog: '{QUERY}'}}\n"
        f"sources:\n  posthog: {{host: '{posthog.url}', project: 12345}}\n"
    )
    config, _ = build_config((CFG, config_text), [])
    key = {"POSTHOG_PERSONAL_API_KEY": KEY}

    (refused,) = team_figures(
        config, "growth", ReviewPeriod.of(Month(2026, 11)), FigureSources(config, key)
    )
    bad = {**key, "QUARTERDECK_POSTHOG_HOSTS": "gopher://x"}
    (malformed,) = team_figures(
        config, "growth", ReviewPeriod.of(Month(2026, 11)), FigureSources(config, bad)
    )
    assert posthog.requests == []
    env = {**key, **allowing(posthog)}
    (allowed,) = team_figures(
        config, "growth", ReviewPeriod.of(Month(2026, 11)), FigureSources(config, env)
    )

    assert refused.unavailable is not None
    assert "is a loopback address" in refused.unavailable
    assert malformed.unavailable is not None
    assert malformed.unavailable.startswith("QUARTERDECK_POSTHOG_HOSTS holds 'gopher://x'")
    assert allowed.unavailable is None
    assert allowed.values[-1] == 7
    assert len(posthog.requests) == 1


# ------------------------------------------------------------------ TLS to a pinned address


def _certificate(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for the DNS name `name` and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.mark.parametrize("served_name", ["posthog.internal.example", "other.example"])
def test_tls_to_the_pinned_address_speaks_to_the_name(tmp_path: Path, served_name: str) -> None:
    """The connection goes to the checked IP, but SNI and the certificate check use the
    name: a certificate for another name is refused even at the right address."""
    cert_file, key_file = _certificate(tmp_path, served_name)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    sni: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: sni.append(name)  # type: ignore[assignment,misc,return-value]
    fake = FakePostHog(keys={KEY: {"query:read"}})
    fake.answer(QUERY, [["2026-11-01", 7]])
    with serve(fake, tls=context):
        port = fake.url.rsplit(":", 1)[1]
        url = f"https://posthog.internal.example:{port}/api/projects/12345/query/"
        policy = parse_policy(f"https://posthog.internal.example:{port}", "true")
        session = guarded_session(policy, lambda _h, _p: ["127.0.0.1"])
        body = {"query": {"kind": "HogQLQuery", "query": QUERY}}
        headers = {"Authorization": f"Bearer {KEY}"}
        with session:
            if served_name == "posthog.internal.example":
                answer = session.post(url, json=body, headers=headers, verify=str(cert_file))
                assert answer.status_code == 200
                assert answer.json()["results"] == [["2026-11-01", 7]]
                (request,) = fake.requests
                assert request["headers"]["host"] == f"posthog.internal.example:{port}"
            else:
                with pytest.raises(requests.exceptions.SSLError):
                    session.post(url, json=body, headers=headers, verify=str(cert_file))
                assert fake.requests == []  # the key never left: TLS failed first
    assert sni
    assert set(sni) == {"posthog.internal.example"}
