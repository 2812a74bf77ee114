"""Local analyses the offline provider runs for each role: static checks, tracebacks, decomposition, fixes, merging."""
