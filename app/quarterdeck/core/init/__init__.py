"""`quarterdeck init`: a repository's recent history turned into a proposed team config. Pure.

The survey says who works where (people, CODEOWNERS teams, components, commit
scopes, counted in shipped PRs); the proposal groups them into teams of at most six
with what each owns, as YAML a person reviews before committing.
"""
