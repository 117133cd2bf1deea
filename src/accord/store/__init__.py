"""Storage adapters: the SQL store (SQLite and PostgreSQL) behind the `Store` port."""
