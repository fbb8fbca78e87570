"""What the producer and the warehouse side share, and nothing else: the user-error class
both raise (errors), where the checkout keeps things (paths) and Ctrl-C as a flag (stopping).
It imports neither package."""
