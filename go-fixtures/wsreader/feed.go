// Package wsreader demonstrates the "websocket reader that is never stopped"
// leak: a client starts a goroutine looping on conn.ReadMessage, and because
// nothing ever closes the connection the goroutine sits in a network read
// forever. httptest.Server.Close does not help: it does not close hijacked
// (upgraded) connections, so the server's per-connection goroutine, also
// reading, stays behind with it.
package wsreader

import (
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// Feed is a websocket subscription that hands every message to a callback.
type Feed struct {
	conn      *websocket.Conn
	onMessage func([]byte)
	done      chan struct{}

	mu  sync.Mutex
	err error
}

// Dial connects to url and starts reading messages in the background.
// Call Close to stop the reader.
func Dial(url string, onMessage func([]byte)) (*Feed, error) {
	conn, resp, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	f := &Feed{conn: conn, onMessage: onMessage, done: make(chan struct{})}
	go f.readLoop()
	return f, nil
}

func (f *Feed) readLoop() {
	defer close(f.done)
	for {
		_, msg, err := f.conn.ReadMessage()
		if err != nil {
			f.mu.Lock()
			f.err = err
			f.mu.Unlock()
			return
		}
		f.onMessage(msg)
	}
}

// Err returns the error that ended the reader, if it has ended.
func (f *Feed) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// Close closes the connection and waits for the reader goroutine to exit.
func (f *Feed) Close() error {
	err := f.conn.Close()
	<-f.done
	return err
}

// Hub is a websocket server that greets each connection and broadcasts
// messages to all of them. Each connection is served by its handler
// goroutine, which reads (and discards) client messages so that control
// frames are processed, until the connection is closed.
type Hub struct {
	upgrader websocket.Upgrader
	welcome  []byte

	mu     sync.Mutex
	closed bool
	conns  map[*websocket.Conn]struct{}
	wg     sync.WaitGroup
}

// NewHub returns a Hub that greets each new connection with welcome.
func NewHub(welcome string) *Hub {
	return &Hub{welcome: []byte(welcome), conns: make(map[*websocket.Conn]struct{})}
}

// ServeHTTP upgrades the request and serves the connection until it is
// closed by the client or by Hub.Close.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	if !h.add(conn) {
		conn.Close()
		return
	}
	defer h.remove(conn)
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
	}
}

// add registers conn and sends it the welcome message. It reports false if
// the hub is closed.
func (h *Hub) add(conn *websocket.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[conn] = struct{}{}
	h.wg.Add(1)
	// Sent under the lock, so it is always the first message. A failed
	// write surfaces as a read error in ServeHTTP, which then removes conn.
	conn.WriteMessage(websocket.TextMessage, h.welcome)
	return true
}

func (h *Hub) remove(conn *websocket.Conn) {
	h.mu.Lock()
	delete(h.conns, conn)
	h.mu.Unlock()
	conn.Close()
	h.wg.Done()
}

// Broadcast sends msg to every connection.
func (h *Hub) Broadcast(msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for conn := range h.conns {
		// As in add, a failed write is handled by the reading side.
		conn.WriteMessage(websocket.TextMessage, []byte(msg))
	}
}

// Close closes every connection and waits for their handlers to return.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	for conn := range h.conns {
		conn.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}
