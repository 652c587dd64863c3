"""Scenario configuration: the schema (pydantic), segment defaults and the loader."""
