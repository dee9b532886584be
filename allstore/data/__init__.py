"""Dataset formats, the synthetic store, fetching and inspecting the real datasets."""
