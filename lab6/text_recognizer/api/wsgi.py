"""The WSGI entry point gunicorn imports: `gunicorn text_recognizer.api.wsgi:app`.

Importing it configures the process (Keras backend, quiet TensorFlow) and builds the app, which
loads the models: in each gunicorn worker once, when the worker starts (see gunicorn.conf.py).
"""

from text_recognizer.environment import configure_environment

configure_environment()

from text_recognizer.api.app import create_app  # noqa: E402 - after the environment is set

app = create_app()
