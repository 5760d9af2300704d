"""The ``portrait`` command line: thin shells over the service functions."""
