"""The words Quarterdeck writes: Markdown, templates, hidden markers and JSON. Pure.

Escaping user text so it cannot format, link or mention; rendering the sandboxed
Jinja2 templates; the hidden markers that let the bot find its own issues and
sections again; keeping an issue body under GitHub's size limit; dataclasses as JSON
and their JSON Schema; numbers and counts in their units (`9.5 %`, `3 people`).
"""
