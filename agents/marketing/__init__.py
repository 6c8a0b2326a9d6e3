"""Marketing studio (stand-in: only the compliance check's interface, for the evaluations)."""
