"""Storage on SQLAlchemy 2: SQLite (embedded, WAL) by default, PostgreSQL for teams."""
