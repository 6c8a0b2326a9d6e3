"""Alembic migrations of the CRM store, run programmatically by `tools.crm.database.migrate`."""
