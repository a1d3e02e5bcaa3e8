"""Properties of what Quarterdeck writes and checks: issue bodies fitted under GitHub's
limit with a person's text untouched, and webhook signatures over any body and secret."""

from __future__ import annotations

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from quarterdeck.core.text.issue_body import CUT_NOTE, GITHUB_LIMIT, fit
from quarterdeck.core.text.markers import section, section_spans
from quarterdeck.webhook.intake import sign, verify


def _person_text(body: str) -> list[str]:
    """Everything outside the bot's section contents, in order."""
    parts, at = [], 0
    for _name, start, end in section_spans(body):
        parts.append(body[at:start])
        at = end
    return [*parts, body[at:]]


def _details(summary: str, lines: list[str]) -> str:
    return f"<details>\n<summary>{summary}</summary>\n\n" + "".join(lines) + "\n</details>\n"


pr_line = st.builds(lambda n, w: f"- #{n} {'x' * w}\n", st.integers(1, 99_999), st.integers(0, 300))
prose_line = st.text(min_size=0, max_size=200).map(lambda t: t.replace("<!--", "") + "\n")
# A bot section: prose and PR lists, some folded into <details> blocks of many lines.
bot_content = st.lists(
    prose_line
    | st.lists(pr_line, max_size=400).map("".join)
    | st.builds(_details, st.text(max_size=20).map(lambda t: t.replace("\n", " ").replace("<", "")),
                st.lists(pr_line, max_size=600)),
    max_size=5,
).map("".join)  # fmt: skip
person = st.text(max_size=3000).map(lambda t: t.replace("<!--", ""))
names = st.lists(st.sampled_from(["summary", "shipped", "goals", "unplanned", "speed"]),
                 min_size=1, max_size=5, unique=True)  # fmt: skip


@settings(max_examples=60)
@given(names.flatmap(lambda ns: st.tuples(
    st.just(ns), st.lists(person, min_size=len(ns) + 1, max_size=len(ns) + 1),
    st.lists(bot_content, min_size=len(ns), max_size=len(ns)),
)))  # fmt: skip
@example((["shipped"], ["", ""], ["- #1 x\n" * 20_000]))  # one flat list, no details
@example((["a", "b"], ["me\r\n🎉", "", "end"], ["y" * 70_000, _details("s", ["- #2 z\n"] * 9000)]))
def test_fit_keeps_any_body_under_the_limit_and_person_text_untouched(
    parts: tuple[list[str], list[str], list[str]],
) -> None:
    section_names, people, contents = parts
    body = people[0]
    for name, text, content in zip(section_names, people[1:], contents, strict=True):
        body += section(name, content) + text
    # A body whose person's text alone is too long stays too long, by design.
    room = GITHUB_LIMIT - sum(len(p) for p in _person_text(body))
    assume(room > len(section_names) * (len(CUT_NOTE) + 200))

    fitted, overflow = fit(body, budget=GITHUB_LIMIT)

    assert len(fitted) <= GITHUB_LIMIT
    assert len(overflow) <= GITHUB_LIMIT
    assert _person_text(fitted) == _person_text(body)
    assert [n for n, _, _ in section_spans(fitted)] == [n for n, _, _ in section_spans(body)]
    if len(body) <= GITHUB_LIMIT:
        assert (fitted, overflow) == (body, "")


# ---------------------------------------------------------------------------- signatures

secrets = st.binary(min_size=1, max_size=80)
bodies = st.binary(max_size=2000)


@settings(max_examples=300)
@given(secrets, bodies)
@example(b"s", b"")
@example(b"\x00" * 80, b"\xff" * 2000)
def test_a_signature_verifies_its_own_body(secret: bytes, body: bytes) -> None:
    assert verify(secret, body, sign(secret, body))


@settings(max_examples=300)
@given(secrets, bodies.filter(bool), st.data())
def test_any_single_byte_change_of_the_body_fails(secret: bytes, body: bytes, data) -> None:
    at = data.draw(st.integers(0, len(body) - 1), label="at")
    new = data.draw(st.integers(0, 255).filter(lambda b: b != body[at]), label="byte")
    changed = body[:at] + bytes([new]) + body[at + 1 :]
    assert not verify(secret, changed, sign(secret, body))


@settings(max_examples=300)
@given(secrets, bodies, st.data())
def test_any_single_character_change_of_the_signature_fails(
    secret: bytes, body: bytes, data
) -> None:
    header = sign(secret, body)
    at = data.draw(st.integers(0, len(header) - 1), label="at")
    new = data.draw(st.characters().filter(lambda c: c != header[at]), label="char")
    assert not verify(secret, body, header[:at] + new + header[at + 1 :])


@settings(max_examples=200)
@given(secrets, secrets, bodies)
def test_another_secret_never_verifies(secret: bytes, other: bytes, body: bytes) -> None:
    # HMAC pads short keys with zero bytes, so b"k" and b"k\\0" are one key (RFC 2104).
    assume(other.rstrip(b"\0") != secret.rstrip(b"\0"))
    assert not verify(other, body, sign(secret, body))
