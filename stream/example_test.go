package stream_test

import (
	"context"
	"fmt"
	"strings"
	"time"

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

func ExampleMap() {
	upper := stream.Map(stream.FromSlice[string]([]string{"relay", "go"}, nil), strings.ToUpper)
	toks, err := stream.Collect(context.Background(), upper, "")
	fmt.Println(toks, err)
	// Output: [RELAY GO] <nil>
}

func ExampleFilter() {
	words := stream.Filter(stream.FromSlice[string]([]string{"a", "", "b"}, nil), func(s string) bool { return s != "" })
	toks, err := stream.Collect(context.Background(), words, "")
	fmt.Println(toks, err)
	// Output: [a b] <nil>
}

func ExampleBatch() {
	// Up to 3 tokens per batch, and no token waits more than 50ms.
	batches := stream.Batch(stream.FromSlice[string]([]int{1, 2, 3, 4, 5, 6, 7}, nil), 3, 50*time.Millisecond)
	for b, err := range stream.All(context.Background(), batches, "") {
		fmt.Println(b, err)
	}
	// Output:
	// [1 2 3] <nil>
	// [4 5 6] <nil>
	// [7] <nil>
}

func ExampleTee() {
	ctx := context.Background()
	display, audit := stream.Tee(ctx, stream.FromSlice[string]([]string{"x", "y"}, nil), "", 8)
	var logged []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for tok := range audit.Tokens {
			logged = append(logged, tok)
		}
	}()
	for tok := range display.Tokens {
		fmt.Println("show", tok)
	}
	<-done
	fmt.Println("logged", logged, <-display.Err, <-audit.Err)
	// Output:
	// show x
	// show y
	// logged [x y] <nil> <nil>
}
