// Command demarc makes the cloud shared responsibility model executable:
// for every control a system must meet it says who is responsible —
// provider, customer or both, and which part — and why.
package main

import (
	"context"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
