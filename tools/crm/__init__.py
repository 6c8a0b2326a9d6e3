"""The CRM: a SQLAlchemy store (SQLite by default, PostgreSQL by URL) with Alembic
migrations, demo data, imports, and the agent's customer-scoped tools.

- `store.CRMStore`: the database, its migrations and the entry points below.
- `scope.CustomerScope`: reads of ONE customer's file (the only way to read it).
- `tools.build_read_tools`: LangChain read tools over a scope, for the agent.
- `writer.CRMWriter`: side effects on ONE conversation (commit and handoff steps only).
- `seed`, `importer`, `cli`: demo data, CSV/JSON imports and `ressenti crm …`.
"""
