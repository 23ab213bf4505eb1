"""alertmanager's configuration, rendered by the program (a pure function of its inputs)."""
