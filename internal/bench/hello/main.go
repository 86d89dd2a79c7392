// Command hello is the smallest aws-lambda-go function: it returns its
// event unchanged. cmd/bench builds it with the flags of the startchat
// bootstrap and compares the two bootstraps' size and cold start.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(_ context.Context, event json.RawMessage) (json.RawMessage, error) {
		return event, nil
	})
}
