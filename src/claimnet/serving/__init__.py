"""``claimnet serve``: a tagging server with dynamic batching (the ``serve`` extra).

FastAPI on uvicorn: the OpenAPI schema comes from the same pydantic models that
validate each request, so what the schema promises is what the server checks.
"""
