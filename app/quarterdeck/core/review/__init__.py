"""The review's reasoning over merged PRs: which goal or team each PR belongs to, and how it went.

Reading GitHub's traces out of git (PR merge messages, who an identity is), linking a
PR to a goal (explicit references, the rules a goal declares, then unplanned work by
ownership of paths, CODEOWNERS, labels and people), what kind of work it is, and what
the month adds up to: shipping speed, goal progress, the PM's figures and each goal's
outcome at the quarter's end. Pure functions over core's dataclasses; no I/O.
"""
