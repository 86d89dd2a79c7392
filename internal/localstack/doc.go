// Package localstack runs real local stand-ins for the services that the
// startchat function uses, for tests in any package and for cmd/demo:
//
//   - StartMoto: moto_server (Secrets Manager and other AWS APIs) on a free
//     127.0.0.1 port, behind a proxy that counts operations. SecretsClient
//     and AWSEnv point a client or the function at it with fake
//     credentials, and keep the SDK away from ~/.aws and the instance
//     metadata service.
//   - NewIdentity: a fresh RSA key and self-signed certificate, and the
//     secret JSON that holds them.
//   - StartEmulator: the OFS emulator served in this process on a free
//     127.0.0.1 port, trusting an identity's certificate.
//   - BuildBootstrap and StartRIE: the function's bootstrap built for this
//     machine and run under the Lambda Runtime Interface Emulator, with only
//     the environment given, its output captured.
//   - StartStack: all of the above, wired as the function runs in AWS.
//
// Every server binds 127.0.0.1 only, every start waits with a deadline, and
// Stop ends each process group and waits for it. moto_server and
// aws-lambda-rie are external programs: `make tools` installs the pinned
// RIE into .tools/bin and checks that moto_server is on PATH. Errors for a
// missing program wrap ErrToolNotFound.
//
// A test of the whole function reads:
//
//	root, _ := localstack.RepoRoot()
//	bootstrap, err := localstack.BuildBootstrap(ctx, root, t.TempDir())
//	...
//	stack, err := localstack.StartStack(ctx, localstack.StackConfig{Bootstrap: bootstrap})
//	...
//	defer stack.Stop()
//	status, body, err := stack.RIE.Invoke(ctx, []byte(`{"text":"Truck 12 needs a tow"}`))
//	chats := stack.OFS.Emulator.Chats()
//
// Package localstacktest wraps these calls for tests, stops the parts at
// cleanup, and skips under go test -short.
//
// This package must not import the function's code under functions/: it
// builds and runs the bootstrap as a separate program.
package localstack
