"""The web console: server-rendered French pages (DSFR) on the API's handlers and views."""
