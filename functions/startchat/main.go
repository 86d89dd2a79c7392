// Command startchat is the AWS Lambda function that turns AWS events into
// Oracle Field Service chats. Build it as the "bootstrap" of a
// provided.al2023 function; see the Makefile's build-StartChatFunction.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	logger, err := newLogger(os.Getenv, os.Stdout)
	h := newHandlerFromEnv(context.Background(), os.Getenv, logger)
	if err != nil {
		logger.Error("configuration is invalid; every event will fail", "error", err.Error())
		h = newFailedHandler(h.settings, err, logger)
	}
	lambda.Start(h)
}
