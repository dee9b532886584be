"""AllStore's local stand-in for Amazon OpenSearch Service: the subset of its REST API the project
uses, backed by tantivy and persisted in a data directory. See docs/search.md."""

from allstore.search.server import SearchServer

__all__ = ["SearchServer"]
