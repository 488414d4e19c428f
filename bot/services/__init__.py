"""Repositories and use cases over the database. Time comes in as an argument."""
