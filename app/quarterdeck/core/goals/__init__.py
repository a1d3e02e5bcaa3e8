"""Quarterly goals as files and as GitHub issues, kept in step. Pure.

What a goal issue's labels, assignees and body mean; one list of goals merged from the
goals files and the goal issues; the plan `goals sync` carries out and the text it
prints; people's GitHub edits said back as YAML for the goals files; and the next
quarter's goals file, carrying over what is unfinished.
"""
