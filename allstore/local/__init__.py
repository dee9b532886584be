"""The local store: moto server, provisioning from template.yaml, the API and event-source runner."""
