"""The three Personalize APIs by resource family; each imports only the state layer and below."""
