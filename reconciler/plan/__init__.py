"""The pure planner: desired, live and stored state in; an immutable, serialisable Plan out."""
