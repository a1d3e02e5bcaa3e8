"""The GitHub App: a Flask webhook server whose work runs after the response.

settings.py    environment → validated Settings (secrets hidden from repr and logs)
intake.py      the door's checks, sans I/O: X-Hub-Signature-256 first, headers, payload
server.py      create_app(): the front door: verify, route, de-duplicate, enqueue, answer
routes.py      ROUTES: the one table, (event, action) -> handler, payload object, queued
deliveries.py  de-duplication by X-GitHub-Delivery (SQLite or Redis)
queues.py      in-process background worker, or RQ over Redis
jobs.py        run one delivery: the handler its route names, retry or drop by rule
config_cache.py  the config each delivery's handler reads, cached across deliveries
handlers/      one module per event concern; each receives the installation's client
"""
