"""Screens of the explorer: main (experiments + runs), run detail, help."""
