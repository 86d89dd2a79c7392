// Package emulator is a strict local fake of the Oracle Field Service (OFS)
// token service and the Collaboration "Start a new chat" endpoint, for tests
// and demos. It decodes the wire format on its own and shares no code with the
// client, so client bugs show up as failed requests.
//
// An Emulator is an http.Handler:
//
//	em, err := emulator.New(emulator.Config{Instance: "acme.test", ClientID: "startchat"})
//	if err != nil { ... }
//	if err := em.SetCertificate(certPEM); err != nil { ... }
//	em.AddUser(emulator.User{Login: "dispatcher1"})
//	em.AddUser(emulator.User{Login: "tech17"})
//	srv := httptest.NewServer(em)
//
// Where OFS documents no behaviour, the emulator picks the stricter rule. Such
// rules are marked (strict) below.
//
// # Token endpoint
//
// POST /rest/oauthTokenService/v2/token takes an application/x-www-form-urlencoded
// body. The v1 path and other paths get 404, other methods 405. The form may
// contain only grant_type, assertion and ofsc_dynamic_scope, each once
// (strict). grant_type must be urn:ietf:params:oauth:grant-type:jwt-bearer
// (RFC 7523) or client_credentials (RFC 6749 section 4.4). Form errors get 400.
//
// For jwt-bearer the assertion must be a compact JWS of three unpadded
// base64url parts whose header and claims are JSON objects without duplicate
// members. Its header alg must be exactly RS256, with no crit. The RS256
// signature must verify with the public key of the uploaded certificate. The
// claims must contain:
//   - aud: a single string, never an array, equal to "ofsc:<Instance>:<ClientID>";
//   - sub: a known user login, or aud itself when Config.AllowAppSubject is set
//     (strict);
//   - iat and exp: integers, with exp in the future, iat at most 60 s ahead of
//     the clock, and exp-iat at most 10 minutes (strict);
//   - nbf, when present: an integer at most 60 s ahead of the clock.
//
// iss is recorded but not checked. Config.Basic sets whether Basic credentials
// are optional, required or forbidden. When present they must decode to
// exactly "<ClientID>@<Instance>:<ClientSecret>". A URL-escaped "%40" or a
// missing "@<Instance>" is rejected (strict). client_credentials always needs
// valid Basic credentials, and its tokens cannot start a chat. Rejected
// credentials get 401.
//
// A success is 200 application/json with
// {"access_token":"<opaque>","token_type":"bearer","expires_in":<Config.TokenTTL>}.
// Tokens expire by Config.Now.
//
// # Chat endpoint
//
// POST /rest/ofscCollaboration/v1/chats needs "Authorization: Bearer" with a
// live jwt-bearer token, and otherwise returns 401. Basic authorization, an
// unknown or expired token, and a client_credentials token are all rejected.
// A user without the Collaboration permission gets 403. The body must be one
// application/json object with only these members (strict), else 400:
//   - text: a string of 1 to 1000 UTF-16 code units, not only whitespace
//     (strict);
//   - exactly one of recipients and helpdesk (strict). recipients is a
//     non-empty array of distinct known logins other than the sender.
//     helpdesk is a known integer helpdesk ID;
//   - attachment, optional: type activity, resource or inventory with a string
//     id, or type image with content {filename, mediaType image/*, imageData in
//     padded standard base64} and no id.
//
// A recipient outside the sender's User.Reach gets 403. A success is 201 with
// chatId (increasing from 48213), type ("normal" for one recipient or a
// helpdesk, "conference" for more), startedBy (the assertion's sub),
// startedTime (UTC "YYYY-MM-DD HH:MM:SS" from Config.Now) and participants
// [{"rel":"participants","href":"/rest/ofscCollaboration/v1/chats/<id>/participants"}].
//
// # Errors
//
// Every rejection uses the OFS Error body, with status as a string, and a
// detail that names what was wrong without quoting an assertion, token or
// secret:
//
//	{"type":"about:blank","title":"Unauthorized","status":"401","detail":"assertion aud ..."}
//
// Request bodies above 1 MiB get 413.
//
// # Faults and records
//
// Inject queues a Fault: a status with an optional Retry-After, a raw body of
// any content type, a delay, or a dropped connection, for a number of
// requests, optionally only those whose body contains a given text. Requests returns every request to an OFS path with its headers,
// form, decoded assertion and status. TokenRequests, ChatRequests and Chats
// count exchanges and started chats. Records grow until Reset.
//
// # Admin API
//
// The same handler serves an admin API under /_emulator/, outside /rest/, so
// that another process can drive an emulator it did not start. Bodies are JSON
// unless noted, unknown JSON fields get 400, and errors use the Error body.
// The API has no authentication, so serve it on a loopback address only.
//
//	PUT  /_emulator/certificate  body: a CERTIFICATE or PUBLIC KEY PEM        -> 204
//	POST /_emulator/users        {"login":"tech17","noCollaboration":false,"reach":["dispatcher1"]} -> 204
//	POST /_emulator/helpdesks    {"id":5}                                     -> 204
//	POST /_emulator/faults       {"endpoint":"chat","status":503,"retryAfter":"2","times":1} -> 204
//	GET  /_emulator/chats        -> 200 [{"chatId":48213,"type":"normal","startedBy":"dispatcher1",
//	                                 "startedTime":"2026-01-01 00:00:05","text":"...","recipients":["tech17"]}]
//	GET  /_emulator/stats        -> 200 {"tokenRequests":1,"chatRequests":1}
//	POST /_emulator/reset        -> 204
//
// A fault in the admin API has the members endpoint ("token", "chat" or empty
// for both), status, body, emptyBody, contentType, retryAfter, delay (a Go
// duration string such as "2s"), drop, times and bodyContains, with the meanings of the
// Fault fields. A chat has the members chatId, type, startedBy, startedTime,
// text, recipients, helpdesk and attachment. A user's reach may be omitted to
// reach every user.
package emulator
