"""The terminal explorer (Textual). Imported only when `tuiflow [STORE]` opens it."""
