"""Running Locust and what it starts: the child process, its control file, the target, progress.

Empty on purpose: `python -m pytest_bfd_locust.run.locust_child` imports this package first, and
the child must import nothing it does not need.
"""
