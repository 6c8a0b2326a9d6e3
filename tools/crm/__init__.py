"""The CRM: a SQLAlchemy store (SQLite by default, PostgreSQL by URL) with Alembic
migrations, demo data, imports, and customer-scoped reads.

- `store.CRMStore`: the database, its migrations and the entry points below.
- `scope.CustomerScope`: reads of ONE customer's file (the only way to read it).
- `writer.CRMWriter`: side effects on ONE conversation (commit and handoff steps only).
- `readings`: how an emotion reading is kept in its row and read back.
- `seed`, `importer`, `cli`: demo data, CSV/JSON imports and `ressenti crm …`.
"""
