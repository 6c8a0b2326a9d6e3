"""Services the UI, the command line and the evaluations call; they never render anything."""
