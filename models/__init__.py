"""pillarwatch."""
