// Package ofs starts Oracle Field Service (OFS) Collaboration chats.
//
// OFS accepts "Start a new chat" (POST /rest/ofscCollaboration/v1/chats)
// only with an access token obtained through a JWT assertion: the caller
// signs an RS256 JWT with the private key whose certificate is uploaded to
// the OFS application, and exchanges it at the token service
// (/rest/oauthTokenService/v2/token) with the jwt-bearer grant of RFC 7523.
// Token errors follow OFS's Error model, and the OAuth error shape of
// RFC 6749 section 5.2 is parsed as well.
//
// A [Client] mints the assertion, exchanges it, caches the token until
// shortly before it expires and starts the chat. Its errors are typed:
// [*InputError] for a chat request that OFS would reject, [*CredentialsError]
// for a secret that cannot work, [*APIError] for an error response from OFS and
// [*NetworkError] for a request that got no response. The package never logs,
// and no error it returns contains a key, a client secret, an assertion or a
// token.
//
// For setup tools, [GenerateIdentity] makes a key and a self-signed
// certificate, [Credentials.SecretJSON] encodes the secret that
// [ParseCredentials] reads, and [Client.Token] performs the token exchange
// alone and reports the token's type and expiry.
package ofs
