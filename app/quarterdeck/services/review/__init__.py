"""The monthly growth review: config -> history -> links -> metrics -> Markdown or JSON.

One module per job; callers import from the module that does theirs:

- `view`: `TeamReview`, everything one team's review shows (the template's model);
- `offline`: `build_reviews`, from local clones (no token, no network);
- `on_github`: `github_home_reviews`, from the API, with the home it read;
- `assemble`: what both builders share (the window and branches read, PRs -> reviews);
- `carry`: what last month carries forward (its decision, the goals changed since);
- `as_markdown`: the Markdown; `as_json`: the JSON and its schema.
"""
