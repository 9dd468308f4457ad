package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
)

func next(t *testing.T, ch <-chan demarc.Change) demarc.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no change within 5s")
	}
	return demarc.Change{}
}

func TestFeedDeliversInOrder(t *testing.T) {
	f := NewFeed()
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := f.Subscribe(ctx), f.Subscribe(ctx)
	for i := range 100 {
		f.Publish(demarc.Change{Org: "org_a", Seq: int64(i + 1)})
	}
	for _, ch := range []<-chan demarc.Change{a, b} {
		for i := range 100 {
			if c := next(t, ch); c.Seq != int64(i+1) || c.Lost {
				t.Fatalf("change %d = %+v", i+1, c)
			}
		}
	}
}

// A watcher that does not read does not block publishing; when it falls
// too far behind it gets one Lost change, then new changes again.
func TestFeedSlowWatcherLoses(t *testing.T) {
	f := NewFeed()
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := f.Subscribe(ctx)
	done := make(chan struct{})
	go func() {
		for i := range 3 * FeedBacklog {
			f.Publish(demarc.Change{Seq: int64(i + 1)})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publishing blocked on a slow watcher")
	}
	// The pump may have taken a batch before the backlog overflowed: those
	// changes come first, in order, then the Lost marker.
	for want := int64(1); ; want++ {
		c := next(t, slow)
		if c.Lost {
			break
		}
		if c.Seq != want || want > 2*FeedBacklog {
			t.Fatalf("got %+v, want change %d or a Lost change", c, want)
		}
	}
	// Drain what the publisher queued after the marker was taken (it may
	// have overflowed once more); then changes flow again.
	for quiet := false; !quiet; {
		select {
		case <-slow:
		case <-time.After(200 * time.Millisecond):
			quiet = true
		}
	}
	f.Publish(demarc.Change{Seq: 999999})
	if c := next(t, slow); c.Seq != 999999 {
		t.Fatalf("after Lost: %+v", c)
	}
}

func TestFeedCloses(t *testing.T) {
	f := NewFeed()
	ctx, cancel := context.WithCancel(context.Background())
	ended := f.Subscribe(ctx)
	open := f.Subscribe(context.Background())
	cancel()
	for _, ch := range []<-chan demarc.Change{ended} {
		select {
		case _, ok := <-ch:
			if ok {
				t.Fatal("a change after the context ended")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("not closed when its context ended")
		}
	}
	f.Close()
	select {
	case _, ok := <-open:
		if ok {
			t.Fatal("a change after the feed closed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not closed with the feed")
	}
	if _, ok := <-f.Subscribe(context.Background()); ok {
		t.Fatal("subscribing to a closed feed gave a change")
	}
	f.Lose() // no watchers left: nothing to do, nothing to block
}
