// Command startchat is the AWS Lambda function that turns AWS events into
// Oracle Field Service chats. Build it as the "bootstrap" of a
// provided.al2023 function; see the Makefile's build-StartChatFunction.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h := newHandlerFromEnv(context.Background(), os.Getenv, logger)
	lambda.Start(h)
}
