package main

import (
	"context"
	"flag"
	"fmt"
)

const tokenDescription = `
Mints an assertion and exchanges it at the OFS token service
(/rest/oauthTokenService/v2/token, jwt-bearer grant) with the function's code,
then prints the token type and expiry. It starts no chat.

The access token is a credential for its lifetime, so it is printed only with
--show-token.`

func runToken(ctx context.Context, e *env, args []string) error {
	var source sourceFlags
	var showToken bool
	flags := flag.NewFlagSet("token", flag.ContinueOnError)
	source.register(flags, e, true)
	flags.BoolVar(&showToken, "show-token", false, "also print the access token")
	if err := parseFlags(flags, e, "(--secret-id NAME | --secret-file FILE) [--base-url URL] [--show-token]",
		tokenDescription, args); err != nil {
		return err
	}
	if err := source.validate(); err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, source.timeout)
	defer cancel()
	creds, err := source.loadCredentials(ctx, e)
	if err != nil {
		return err
	}
	client, err := source.newClient(creds, e)
	if err != nil {
		return err
	}
	info, err := client.Token(ctx)
	if err != nil {
		return err
	}

	w := e.stdout
	fmt.Fprintf(w, "Token service  %s/rest/oauthTokenService/v2/token\n", client.BaseURL())
	fmt.Fprintf(w, "User           %s\n", creds.User)
	fmt.Fprintf(w, "Token type     %s\n", info.Type)
	fmt.Fprintf(w, "Lifetime       %s\n", formatDuration(info.Lifetime))
	fmt.Fprintf(w, "Expires        %s\n", formatTime(info.ExpiresAt, e.now()))
	if showToken {
		fmt.Fprintf(w, "Access token   %s\n", info.AccessToken)
	}
	return nil
}
