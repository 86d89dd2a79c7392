package main

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// newSecretsClient returns a Secrets Manager client configured from the
// variables that Lambda sets for a function: AWS_REGION and the execution
// role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. It
// also reads AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER,
// AWS_ENDPOINT_URL, AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT.
//
// It replaces config.LoadDefaultConfig, whose other credential sources
// (profiles, SSO, web identity, process, IMDS) a Lambda function never
// uses: linking them made the arm64 bootstrap 1.9 MB larger, and loading
// them added about 1.5 ms to each cold start (docs/benchmarks.md, P5 and P7).
//
// NOTE: container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI) are not
// read, because provided.al2023 functions get the role's keys as variables.
func newSecretsClient(getenv func(string) string) (*secretsmanager.Client, error) {
	options := secretsmanager.Options{Region: strings.TrimSpace(getenv("AWS_REGION"))}
	if options.Region == "" {
		options.Region = strings.TrimSpace(getenv("AWS_DEFAULT_REGION"))
	}
	if options.Region == "" {
		return nil, &ConfigError{Reason: "AWS_REGION is not set; Lambda sets it, so set it " +
			"to the secret's region, such as us-east-1, when running the function elsewhere"}
	}
	keyID, secretKey := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if keyID == "" || secretKey == "" {
		return nil, &ConfigError{Reason: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not " +
			"both set; Lambda sets them from the execution role, so set them (and " +
			"AWS_SESSION_TOKEN) when running the function elsewhere"}
	}
	options.Credentials = credentials.NewStaticCredentialsProvider(keyID, secretKey, getenv("AWS_SESSION_TOKEN"))
	for _, name := range []string{"AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"} {
		if endpoint := strings.TrimSpace(getenv(name)); endpoint != "" {
			options.BaseEndpoint = aws.String(endpoint)
			break
		}
	}
	if strings.EqualFold(getenv("AWS_USE_FIPS_ENDPOINT"), "true") {
		options.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled
	}
	if strings.EqualFold(getenv("AWS_USE_DUALSTACK_ENDPOINT"), "true") {
		options.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateEnabled
	}
	return secretsmanager.New(options), nil
}
