# The GitHub App in one image: `quarterdeck serve` by default, and `worker` and
# `schedule --daily` from the same image (compose.yaml). See README.md, "Deploy".
FROM python:3.11.14-slim-bookworm

# The package's extras to install: `app` is the App; add a warehouse driver with
# `--build-arg EXTRAS=app,postgres` (or duckdb) for installations' `sql:` figures.
# `--build-arg EXTRAS=app,slack` for installations' Slack overviews (QUARTERDECK_SLACK_TOKENS).
ARG EXTRAS=app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    QUARTERDECK_STATE_DIR=/var/lib/quarterdeck

# Only what the wheel is built from (.dockerignore keeps the rest out of the context).
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app/ app/
COPY templates/ templates/
COPY schema/ schema/
COPY examples/ examples/
# The source goes once the wheel is installed; the state directory is owner-only (0700),
# owned by the unprivileged user the App runs as, and a new named volume mounted there
# takes that ownership.
RUN pip install --no-cache-dir "./[${EXTRAS}]" \
    && rm -rf /src \
    && groupadd --system --gid 10001 quarterdeck \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /var/lib/quarterdeck --shell /usr/sbin/nologin quarterdeck \
    && install -d -m 0700 -o quarterdeck -g quarterdeck /var/lib/quarterdeck

# By number: a host or orchestrator checking "not root" cannot resolve a name.
USER 10001:10001
WORKDIR /var/lib/quarterdeck

EXPOSE 8000
# Python's urllib, not curl (the slim image has none): any answer but 2xx, or none
# within 4 s, fails the check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

ENTRYPOINT ["quarterdeck"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
