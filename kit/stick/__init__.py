"""The USB stick: what goes on it, writing it, its manifest (no Flask)."""
