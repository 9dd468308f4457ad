package server

import (
	"container/list"
	"sync"
)

// lru is a cache that holds at most max entries and at most maxCost in
// total cost (bytes, say), and forgets the least recently used first.
// It is safe for concurrent use.
type lru[K comparable, V any] struct {
	mu      sync.Mutex
	max     int
	maxCost int64
	cost    int64
	order   *list.List // front: most recent
	items   map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key  K
	val  V
	cost int64
}

// newLRU returns a cache of at most max entries; maxCost 0 means no
// bound on their total cost.
func newLRU[K comparable, V any](max int, maxCost int64) *lru[K, V] {
	return &lru[K, V]{max: max, maxCost: maxCost, order: list.New(), items: map[K]*list.Element{}}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// put stores v under k. An entry costlier than the whole cache is not
// stored.
func (c *lru[K, V]) put(k K, v V, cost int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.maxCost > 0 && cost > c.maxCost {
		return
	}
	if e, ok := c.items[k]; ok {
		c.remove(e)
	}
	c.items[k] = c.order.PushFront(&lruEntry[K, V]{k, v, cost})
	c.cost += cost
	for c.order.Len() > c.max || c.maxCost > 0 && c.cost > c.maxCost {
		c.remove(c.order.Back())
	}
}

func (c *lru[K, V]) remove(e *list.Element) {
	x := e.Value.(*lruEntry[K, V])
	c.order.Remove(e)
	delete(c.items, x.key)
	c.cost -= x.cost
}
