"""Support for the workshop notebooks in `Personalize/`: clean-up of their resources, JupyterLab."""
