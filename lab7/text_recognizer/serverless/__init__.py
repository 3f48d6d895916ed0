"""Lab 7: the prediction service as an AWS Lambda function behind API Gateway.

| module | what it does |
|---|---|
| `handler.py` | `handler(event, context)`: API Gateway event (v1 or v2) in, proxy response out (Lab 7 exercise) |
| `events.py` | real-shaped API Gateway events, for tests and the notebook |
| `compiled.py` | the deployed models exported to ONNX (read by `predictors/compiled_*_predictor.py`) |
| `layer.py` | the dependency layer stripped of what is never loaded at run time (under 50 MB zipped) |
| `runtime_api.py` | run the function as Lambda does: `awslambdaric` against a loopback Runtime API |

Deployment: `serverless.yml` at the lab's root (the zip with the compiled models, its dependency
layer, the HTTP API, the alarms), and `Dockerfile` here (the container image with the Keras stack).
Whether it fits Lambda and how fast it starts and answers: `reports/lambda_speed.py` (`make benchmark-lab7`).
"""
