"""`tthc serve`: Camunda 7's REST API (under /engine-rest) over the same Service the CLI uses.

Layers, top down: `app` (Starlette application, middleware: body limit, authentication, CORS, errors) → `routes_*`
(one module per Camunda resource group: read the request, call one Service method, shape the answer) → `camunda`
(Camunda's JSON shapes: typed variables, dates, error bodies) and `pool` (Service objects lent to worker threads).
No rule lives here: who may complete a step, what a form accepts, how a case starts are the Service's decisions.
"""
