package sqlstore

import (
	"context"
	"sync"

	"github.com/demarc-io/demarc"
)

// FeedBacklog is how many changes may queue for a watcher, besides the
// batch it is being handed, before the queue is dropped and the watcher
// is told, with a Lost change, to refresh.
const FeedBacklog = 4096

// Feed fans changes out to watchers. Publishing never blocks: each
// watcher has its own backlog and goroutine.
type Feed struct {
	mu     sync.Mutex
	subs   map[*watcher]struct{}
	done   chan struct{}
	closed bool
}

type watcher struct {
	queue []demarc.Change
	lost  bool
	wake  chan struct{} // capacity 1: a pending wake-up
}

// NewFeed returns an empty feed.
func NewFeed() *Feed {
	return &Feed{subs: map[*watcher]struct{}{}, done: make(chan struct{})}
}

// Publish hands changes to every watcher.
func (f *Feed) Publish(changes ...demarc.Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for w := range f.subs {
		if w.lost {
			continue // a Lost change is pending; it covers these
		}
		if len(w.queue)+len(changes) > FeedBacklog {
			w.queue, w.lost = nil, true
		} else {
			w.queue = append(w.queue, changes...)
		}
		w.signal()
	}
}

// Lose tells every watcher that changes may have been missed, for example
// while the connection to the notifier was down.
func (f *Feed) Lose() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for w := range f.subs {
		w.queue, w.lost = nil, true
		w.signal()
	}
}

func (w *watcher) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Subscribe returns a channel of changes published from now on, closed
// when ctx ends or the feed is closed.
func (f *Feed) Subscribe(ctx context.Context) <-chan demarc.Change {
	out := make(chan demarc.Change)
	w := &watcher{wake: make(chan struct{}, 1)}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		close(out)
		return out
	}
	f.subs[w] = struct{}{}
	f.mu.Unlock()
	go f.pump(ctx, w, out)
	return out
}

func (f *Feed) pump(ctx context.Context, w *watcher, out chan<- demarc.Change) {
	defer func() {
		f.mu.Lock()
		delete(f.subs, w)
		f.mu.Unlock()
		close(out)
	}()
	for {
		f.mu.Lock()
		batch, lost := w.queue, w.lost
		w.queue, w.lost = nil, false
		f.mu.Unlock()
		if lost {
			batch = []demarc.Change{{Lost: true}}
		}
		for _, c := range batch {
			select {
			case out <- c:
			case <-ctx.Done():
				return
			case <-f.done:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-w.wake:
		case <-ctx.Done():
			return
		case <-f.done:
			return
		}
	}
}

// Close ends every subscription.
func (f *Feed) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.done)
	}
}
