"""Outputs at the edge: CSV, GeoJSON and self-contained offline HTML pages."""
