"""AllStore's local runtime and tools: never deployed to Lambda (that code lives in functions/)."""
