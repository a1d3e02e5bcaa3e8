"""The baseline for benchmarks/webhook.py: a bare Flask hello-world on the same route."""

from __future__ import annotations

from flask import Flask

app = Flask("hello")


@app.post("/webhook")
def webhook() -> tuple[str, int]:
    return "ok", 202
