"""The demonstration: a database made by `crisis demo`, with local channels that reach no one."""
