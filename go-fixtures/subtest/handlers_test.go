package subtest

import (
	"errors"
	"testing"
)

func TestHandlers(t *testing.T) {
	tests := []struct {
		name    string
		handler Handler
		req     string
		want    string
	}{
		{name: "ok", handler: Greet, req: "ann", want: "hello ann"},
		{name: "leaky", handler: Notify, req: "bob", want: "queued bob"},
		{name: "also_ok", handler: Shout, req: "cy", want: "CY!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.handler(tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNoSubtestLeak(t *testing.T) {
	for _, h := range []Handler{Greet, Shout} {
		if _, err := h(""); !errors.Is(err, ErrEmpty) {
			t.Fatalf("err = %v, want ErrEmpty", err)
		}
	}
}
