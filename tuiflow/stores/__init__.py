"""Store backends: file (./mlruns), SQL (MLflow's schema) and REST (a tracking server).

Nothing is imported here on purpose: `tuiflow.locate.open_store` imports the one backend a
STORE argument needs, so opening a file store never pays for SQLAlchemy or httpx.
"""
