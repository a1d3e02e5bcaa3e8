"""The sandboxed renderer: values are data, templates cannot escape, errors name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from quarterdeck.core.text.render import make_environment, render
from quarterdeck.errors import TemplateError
from tests.mdcheck import parse


def _env(tmp_path: Path, **templates: str):  # type: ignore[no-untyped-def]
    for name, text in templates.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return make_environment([tmp_path])


def test_values_are_escaped_and_never_run(tmp_path: Path) -> None:
    env = _env(tmp_path, t="- {{ title }}\n")
    out = render(env, "t", title="@everyone <script> {{ 7*7 }} | pipe")
    assert out == "- `@everyone` &lt;script&gt; {{ 7\\*7 }} \\| pipe\n"


def test_link_filter_keeps_url_inside_parentheses(tmp_path: Path) -> None:
    env = _env(tmp_path, t="{{ 'a]b'|link('https://x/y) [z](evil') }}")
    assert render(env, "t") == "[a\\]b](https://x/y%29%20%5Bz%5D%28evil)"


def test_sandbox_blocks_attribute_escape(tmp_path: Path) -> None:
    env = _env(tmp_path, t="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateError, match=r"t: .*unsafe"):
        render(env, "t")


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    env = _env(tmp_path, **{"review.md.j2": "ok\n\n{% if %}\n"})
    with pytest.raises(TemplateError, match=r"review\.md\.j2:3: template syntax error"):
        render(env, "review.md.j2")


def test_undefined_name_names_the_template_line(tmp_path: Path) -> None:
    env = _env(tmp_path, **{"review.md.j2": "one\n{{ nope.title }}\n"})
    with pytest.raises(TemplateError, match=r"review\.md\.j2: line 2: 'nope' is undefined"):
        render(env, "review.md.j2")


def test_first_template_dir_overrides_the_next(tmp_path: Path) -> None:
    user, bundled = tmp_path / "user", tmp_path / "bundled"
    user.mkdir()
    bundled.mkdir()
    (user / "t").write_text("user", encoding="utf-8")
    (bundled / "t").write_text("bundled", encoding="utf-8")
    (bundled / "u").write_text("only bundled", encoding="utf-8")
    env = make_environment([user, bundled])
    assert (render(env, "t"), render(env, "u")) == ("user", "only bundled")


def test_link_title_is_one_line_and_cannot_end_early(tmp_path: Path) -> None:
    env = _env(tmp_path, t="{{ '#4'|link('https://x/pull/4', title) }}")
    out = render(env, "t", title='branch `a"b\\` says\n\n"hi"')
    assert out == '[#4](https://x/pull/4 "branch `a\\"b\\\\` says \\"hi\\"")'
    assert parse(out).raw_html == []
