"""The HTTP API: thin routes that parse, call one handler and shape the answer."""
