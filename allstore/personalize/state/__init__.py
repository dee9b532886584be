"""The service's state: resource documents, dataset rows, recorded events, trained models, the
background workers that change them and the metadata cache. Imports only errors, schemas, recipes."""
