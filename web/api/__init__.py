"""The HTTP API under `/api/v1/`: bearer tokens with a role, typed answers, an OpenAPI
document (`/api/v1/openapi.json`) and its docs page (`/api/v1/docs`, served from the
package, no CDN). `create_api` builds it; each group of routes is a module with its own
`router`, added in `web/api/app.py`."""
