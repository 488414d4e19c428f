"""The database layer: models (`db.models`), engine, sessions and migrations (`db.engine`)."""
