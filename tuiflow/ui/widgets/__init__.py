"""Widgets of the explorer; each styles itself in DEFAULT_CSS."""
