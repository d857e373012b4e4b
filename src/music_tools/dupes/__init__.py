"""Duplicates: DuplicateChecker (new files against the library), groups inside the library,
the quality verdict, and the safe actions on them. Built on the store and the reader."""
