"""The PostgreSQL engine: one catalog that several machines index and query at once.

Imported only when a `postgresql://` URL is opened: the SQLite path never loads psycopg.
"""

from .connect import default_machine, redact
from .engine import PostgresEngine

__all__ = ["PostgresEngine", "default_machine", "redact"]
