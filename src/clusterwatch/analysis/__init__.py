"""Analyses: pure functions from tidy frames to frozen result dataclasses (DESIGN.md).

Analyses never read files, print, or touch the workspace; IO lives in ``clusterwatch.io``, ``cli`` and ``report``.
"""
