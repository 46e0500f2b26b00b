"""Tests of the forensic tools for real audit logs and sharing lists."""
