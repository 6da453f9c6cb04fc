"""Database: ORM models, engine and session helpers; the schema is made only by Alembic."""
