. /rag/.venv/bin/activate
exec python -m rag.server
