module github.com/relay-go/relay/stream/openaistream

go 1.25.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/openai/openai-go/v3 v3.74.0
	github.com/relay-go/relay v0.0.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/sourcegraph/conc v0.3.0 // indirect
	github.com/tidwall/gjson v1.19.0 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.1 // indirect
	github.com/tidwall/sjson v1.2.5 // indirect
)

replace github.com/relay-go/relay => ../..
