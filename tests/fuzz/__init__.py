"""Fuzzing and bad-input tests of the readers."""
