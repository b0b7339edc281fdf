.PHONY: run test bench

run:  ## set up and run the service on SQLite (PORT=8080 for another port)
	scripts/serve

test:  ## set up and run lint, types and the whole test suite
	scripts/test
