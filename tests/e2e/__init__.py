"""Browser journeys (a package, so its conftest is not the module `conftest` that tests/ factories import)."""
