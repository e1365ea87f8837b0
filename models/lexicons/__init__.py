"""Marker lexicons, one TOML file per language (format: docs/markers.md)."""
