package xtestonly_test

import (
	"reflect"
	"testing"

	"example.com/fixtures/xtestonly"
)

func TestExternalClean(t *testing.T) {
	got := xtestonly.Map([]int{1, 2, 3, 4, 5}, 3, func(v int) int { return v * v })
	if want := []int{1, 4, 9, 16, 25}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Map() = %v, want %v", got, want)
	}
}
