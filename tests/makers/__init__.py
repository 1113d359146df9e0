"""Makers for the cross-tenant suite, one module per app: each defines ``MAKERS`` (model →
function of a SchoolSide) and ``tests/factories.py`` merges them all."""
