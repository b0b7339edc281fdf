.PHONY: run test bench

run:  ## set up and run the service on SQLite
	scripts/serve

test:  ## set up and run lint, types and the whole test suite
	scripts/test
