"""Clients for external services shared by several apps (AWS, metrics)."""
