package storetest

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/demarc-io/demarc"
)

// CrashWriter is the child process of a crash test: it writes documents to
// s from several goroutines and prints "ack ID" for each once its write has
// returned, until it is killed (or exits 2 after a minute). The parent
// kills it mid-way and checks that every acknowledged id survived.
func CrashWriter(ctx context.Context, s demarc.Store) {
	org, owner, err := s.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: "crash", Name: "Crash"}, demarc.MemberInput{Email: "o@crash.example", Name: "O"})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("org", org.ID)
	acks := make(chan demarc.DocumentID)
	for g := range 4 {
		go func() {
			for i := 0; ; i++ {
				rev, err := s.CreateDocument(ctx, demarc.Actor{Member: owner.ID}, org.ID, demarc.DocumentInput{Kind: demarc.DocSystem, Name: fmt.Sprintf("g%d-%d", g, i), Content: []byte("x")})
				if err != nil {
					fmt.Println("error", err)
					os.Exit(1)
				}
				acks <- rev.Document
			}
		}()
	}
	deadline := time.After(time.Minute)
	for {
		select {
		case id := <-acks:
			fmt.Println("ack", id)
		case <-deadline:
			os.Exit(2)
		}
	}
}
