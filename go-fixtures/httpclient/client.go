// Package httpclient demonstrates the "HTTP client without a timeout" leak:
// a request to a server that never answers blocks forever inside net/http,
// because neither the http.Client nor the request context bounds it. The
// caller that gave up waiting returns, and the goroutine doing the request,
// plus the transport's connection goroutines, stay behind.
package httpclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client talks to a status endpoint.
type Client struct {
	baseURL string
	hc      *http.Client
}

// NewClient returns a Client with its own transport.
//
// Bug: the http.Client has no Timeout, so a hung server hangs Status (and
// the goroutine calling it) forever unless the caller's ctx is cancelled.
func NewClient(baseURL string) *Client {
	return &Client{
		baseURL: baseURL,
		hc:      &http.Client{Transport: &http.Transport{}},
	}
}

// NewClientWithTimeout is the fixed constructor: every request is bounded
// by timeout.
func NewClientWithTimeout(baseURL string, timeout time.Duration) *Client {
	return &Client{
		baseURL: baseURL,
		hc:      &http.Client{Transport: &http.Transport{}, Timeout: timeout},
	}
}

// Status fetches baseURL + "/status" and returns the body.
func (c *Client) Status(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.baseURL+"/status", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("httpclient: unexpected status %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// CloseIdleConnections closes the transport's idle keep-alive connections.
func (c *Client) CloseIdleConnections() {
	c.hc.CloseIdleConnections()
}
