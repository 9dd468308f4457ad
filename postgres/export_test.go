package postgres

// Channel exposes the notification channel of a schema to the tests.
var Channel = channel
