"""Batch billing and rating pipeline for hosted telephony providers."""

__version__ = "0.1.0"
