// Package mainleak shows a leak from TestMain's own setup: the teardown
// stops the server it started but forgets the cache's refresher, which
// outlives every test. No test is to blame; leakcheck reports it as a
// failure of TestMain.
package mainleak

import (
	"sync"
	"time"
)

// Cache holds values that a background refresher keeps warm.
type Cache struct {
	mu      sync.Mutex
	values  map[string]string
	refresh chan string
}

// NewCache starts the refresher, which runs until the refresh channel is
// closed: nothing in this package ever closes it.
func NewCache() *Cache {
	c := &Cache{values: map[string]string{}, refresh: make(chan string)}
	go c.refresher()
	return c
}

func (c *Cache) refresher() {
	for key := range c.refresh {
		c.mu.Lock()
		c.values[key] = time.Now().String()
		c.mu.Unlock()
	}
}

// Put stores a value.
func (c *Cache) Put(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values[key] = value
}

// Get returns a value.
func (c *Cache) Get(key string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.values[key]
}
