"""The review page's tests (a package, so its conftest is not the module `conftest` that
other folders' tests import from)."""
