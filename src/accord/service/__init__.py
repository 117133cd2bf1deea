"""Use cases the HTTP service needs beside the ledger's own: API tokens and who may do what.

``tokens`` makes, lists, revokes and authenticates API tokens; ``access`` holds the
authorization rules, one table of acts and reads, each a small function of the caller,
the roster and the object.
"""
