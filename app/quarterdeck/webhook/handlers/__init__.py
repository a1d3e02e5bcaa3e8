"""Event handlers, one module per concern; each takes a Context and returns a summary.

Which handler runs for which `(event, action)` is said in one place:
`quarterdeck.webhook.routes.ROUTES`.
"""
