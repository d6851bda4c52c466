"""Joint remediation: terrain and volumes from a DEM (``og.terrain``), cut–fill balancing between
the mines of a zone (``og.earthworks``) and end-use suitability (``og.suitability``)."""
