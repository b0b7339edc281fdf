"""A one-route FastAPI application, the reference of `read_api.py --closed-loop`.

    python benchmarks/bare_app.py PORT

Served as the service is (uvicorn with uvloop and httptools, no access log): what a request
costs a FastAPI application that does nothing else.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()
BODY = {"id": "c-1", "title": "Crue de la Seine", "state": "cod_active", "exercise": False}


@app.get("/api/v1/crises/{crisis_id}")
async def crisis(crisis_id: str) -> dict[str, object]:
    return {**BODY, "id": crisis_id}


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None, access_log=False)
