package stream_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/relay-go/relay/stream"
)

func ExampleCollect() {
	src := stream.FromSlice[string]([]string{"Hello", ", ", "world"}, nil)
	toks, err := stream.Collect(context.Background(), src, "greet")
	fmt.Printf("%q %v\n", strings.Join(toks, ""), err)
	// Output: "Hello, world" <nil>
}

func ExampleAll() {
	src := stream.FromSlice[string]([]string{"one", "two"}, fmt.Errorf("connection reset"))
	for tok, err := range stream.All(context.Background(), src, "count") {
		if err != nil {
			fmt.Println("error:", err)
			break
		}
		fmt.Println(tok)
	}
	// Output:
	// one
	// two
	// error: connection reset
}

func ExampleGenerate() {
	words := stream.Generate(func(ctx context.Context, req string, yield func(string) bool) error {
		for _, w := range strings.Fields(req) {
			if !yield(w) {
				return ctx.Err()
			}
		}
		return nil
	})
	toks, err := stream.Collect(context.Background(), words, "a stream of words")
	fmt.Println(toks, err)
	// Output: [a stream of words] <nil>
}
