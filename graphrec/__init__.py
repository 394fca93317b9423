"""graphrec: a graph-based product recommender.

Data flows one way: sources -> store -> snapshot -> model artifact -> serving -> API.
"""

__version__ = "0.1.0"
