"""Protocol-faithful simulators of the services channels talk to (tests and benchmarks)."""
