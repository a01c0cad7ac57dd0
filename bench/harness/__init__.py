"""Harness that runs stray, eu-stack, gdb and the floor probe on one target."""
