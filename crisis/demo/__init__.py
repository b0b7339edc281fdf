"""`crisis demo`: a demonstration database and what it holds. Its channels are in
`crisis.publishing.demo_channels`, its marker and outbox in `crisis.store.demonstration`."""
