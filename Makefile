.PHONY: run demo test bench

run:  ## set up and run the service on SQLite (PORT=8080 for another port)
	scripts/serve

demo:  ## set up, create the demonstration database (passwords printed once) and run it
	scripts/demo

test:  ## set up and run lint, types and the whole test suite
	scripts/test
