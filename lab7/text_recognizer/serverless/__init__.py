"""Lab 7: the prediction service as an AWS Lambda function behind API Gateway.

| module | what it does |
|---|---|
| `handler.py` | `handler(event, context)`: API Gateway event (v1 or v2) in, proxy response out (Lab 7 exercise) |
| `events.py` | real-shaped API Gateway events, for tests and the notebook |
| `compiled.py` | the line model exported to ONNX, run by onnxruntime, CTC decoded in numpy |
| `runtime_api.py` | run the function as Lambda does: `awslambdaric` against a loopback Runtime API |
"""
