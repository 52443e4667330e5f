"""tuiflow: a terminal explorer for MLflow tracking stores."""

__version__ = "0.1.0"
