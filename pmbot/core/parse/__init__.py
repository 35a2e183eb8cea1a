"""Readers for the free-text parts of a postmortem form: times, users, tables and lists.

Each reader takes the text of one field and a `FieldReader` to report problems to, with the
body line where the trouble is, and returns what it could read. Nothing here raises for bad
user input; `pmbot.core.postmortem` gathers every problem into one `FormError`.
"""
