package server

import (
	"sync"
	"time"
)

// Rate is a token-bucket limit: PerSecond requests on average, bursts of
// up to Burst. The zero Rate means no limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// limiter keeps one token bucket per key (an API token, a signed-in
// person, a client address). Buckets idle long enough to be full again are
// forgotten, so memory stays bounded by the number of active clients.
type limiter struct {
	rate Rate
	now  func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate Rate, now func() time.Time) *limiter {
	return &limiter{rate: rate, now: now, buckets: map[string]*bucket{}}
}

// allow takes one token from key's bucket and reports whether there was
// one.
func (l *limiter) allow(key string) bool {
	if l == nil || l.rate.PerSecond <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(l.burst()), last: now}
		l.buckets[key] = b
	}
	b.tokens = min(float64(l.burst()), b.tokens+now.Sub(b.last).Seconds()*l.rate.PerSecond)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *limiter) burst() int { return max(1, l.rate.Burst) }

// sweep drops full buckets, at most once per refill period.
func (l *limiter) sweep(now time.Time) {
	full := time.Duration(float64(l.burst()) / l.rate.PerSecond * float64(time.Second))
	if now.Sub(l.swept) < full {
		return
	}
	l.swept = now
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
}
