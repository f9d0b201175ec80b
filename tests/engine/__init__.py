"""Engine tests: plain Python, no Django."""
