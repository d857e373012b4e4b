"""The PostgreSQL engine: one catalog that several machines index and query at once.

Imported only when a `postgresql://` URL is opened: the SQLite path never loads psycopg.
"""

from .engine import PostgresEngine, default_machine, redact

__all__ = ["PostgresEngine", "default_machine", "redact"]
