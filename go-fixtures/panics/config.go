// Package panics is a failure control for leak checkers: one test panics
// (a write to a nil map), which kills the test binary; the test before it
// passes.
package panics

// Config holds string settings.
type Config struct {
	values map[string]string
}

// NewConfig returns an empty, usable Config.
func NewConfig() *Config {
	return &Config{values: make(map[string]string)}
}

// Set stores a setting. It panics on a zero Config, whose map is nil.
func (c *Config) Set(key, value string) {
	c.values[key] = value
}

// Get returns a setting.
func (c *Config) Get(key string) string {
	return c.values[key]
}
