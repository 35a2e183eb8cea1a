"""The postmortem library: documents → entries → README index and index.json.

entries.py reads a document into a LibraryEntry; index.py renders the entries as README.md
and index.json; similar.py finds earlier incidents that share services, categories or tags.
The names below are the library's interface; the modules are how it is kept small.
"""

from pmbot.render.library.entries import (
    BASE_KEYS,
    DATA_MARKER,
    ENTRY_KEYS,
    INDEX_FILES,
    LibraryEntry,
    entries_from_texts,
    entry_from_postmortem,
    entry_from_text,
    read_document_data,
    read_front_matter,
    scan_library,
)
from pmbot.render.library.index import (
    SEVERITY_ORDER,
    TABLE_ROWS,
    build_index,
    build_json,
    build_readme,
    link_target,
    link_text,
    write_index,
)
from pmbot.render.library.similar import shared, similar_incidents

__all__ = [
    "BASE_KEYS",
    "DATA_MARKER",
    "ENTRY_KEYS",
    "INDEX_FILES",
    "SEVERITY_ORDER",
    "TABLE_ROWS",
    "LibraryEntry",
    "build_index",
    "build_json",
    "build_readme",
    "entries_from_texts",
    "entry_from_postmortem",
    "entry_from_text",
    "link_target",
    "link_text",
    "read_document_data",
    "read_front_matter",
    "scan_library",
    "shared",
    "similar_incidents",
    "write_index",
]
