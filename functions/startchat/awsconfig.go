package main

import (
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// awsSettings is the part of the AWS SDK configuration that a Lambda
// function gets as environment variables: AWS_REGION and the execution
// role's AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
// AWS_DEFAULT_REGION, AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT
// are read too.
//
// It replaces config.LoadDefaultConfig, whose other credential sources
// (profiles, SSO, web identity, process, IMDS) a Lambda function never
// uses: linking them made the arm64 bootstrap 1.9 MB larger, and loading
// them added about 1.5 ms to each cold start (docs/benchmarks.md, P5 and P7).
//
// NOTE: container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI) are not
// read, because provided.al2023 functions get the role's keys as variables.
type awsSettings struct {
	region    string
	creds     aws.CredentialsProvider
	fips      bool
	dualStack bool
}

func loadAWSSettings(getenv func(string) string) (awsSettings, error) {
	s := awsSettings{region: strings.TrimSpace(getenv("AWS_REGION"))}
	if s.region == "" {
		s.region = strings.TrimSpace(getenv("AWS_DEFAULT_REGION"))
	}
	if s.region == "" {
		return s, &ConfigError{Reason: "AWS_REGION is not set; Lambda sets it, so set it " +
			"to the secret's region, such as us-east-1, when running the function elsewhere"}
	}
	keyID, secretKey := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if keyID == "" || secretKey == "" {
		return s, &ConfigError{Reason: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not " +
			"both set; Lambda sets them from the execution role, so set them (and " +
			"AWS_SESSION_TOKEN) when running the function elsewhere"}
	}
	s.creds = credentials.NewStaticCredentialsProvider(keyID, secretKey, getenv("AWS_SESSION_TOKEN"))
	s.fips = strings.EqualFold(getenv("AWS_USE_FIPS_ENDPOINT"), "true")
	s.dualStack = strings.EqualFold(getenv("AWS_USE_DUALSTACK_ENDPOINT"), "true")
	return s, nil
}

// endpoint returns the override for one service, from its own variable
// (such as AWS_ENDPOINT_URL_SECRETS_MANAGER) or AWS_ENDPOINT_URL, or nil.
func endpoint(getenv func(string) string, serviceVariable string) *string {
	for _, name := range []string{serviceVariable, "AWS_ENDPOINT_URL"} {
		if value := strings.TrimSpace(getenv(name)); value != "" {
			return aws.String(value)
		}
	}
	return nil
}

func (s awsSettings) endpointOptions() (fips aws.FIPSEndpointState, dualStack aws.DualStackEndpointState) {
	if s.fips {
		fips = aws.FIPSEndpointStateEnabled
	}
	if s.dualStack {
		dualStack = aws.DualStackEndpointStateEnabled
	}
	return fips, dualStack
}

// newSecretsClient returns the Secrets Manager client.
func newSecretsClient(getenv func(string) string) (*secretsmanager.Client, error) {
	s, err := loadAWSSettings(getenv)
	if err != nil {
		return nil, err
	}
	options := secretsmanager.Options{Region: s.region, Credentials: s.creds,
		BaseEndpoint: endpoint(getenv, "AWS_ENDPOINT_URL_SECRETS_MANAGER")}
	options.EndpointOptions.UseFIPSEndpoint, options.EndpointOptions.UseDualStackEndpoint = s.endpointOptions()
	return secretsmanager.New(options), nil
}

// newDynamoClient returns the DynamoDB client of the idempotency store.
func newDynamoClient(getenv func(string) string) (*dynamodb.Client, error) {
	s, err := loadAWSSettings(getenv)
	if err != nil {
		return nil, err
	}
	options := dynamodb.Options{Region: s.region, Credentials: s.creds,
		BaseEndpoint: endpoint(getenv, "AWS_ENDPOINT_URL_DYNAMODB")}
	options.EndpointOptions.UseFIPSEndpoint, options.EndpointOptions.UseDualStackEndpoint = s.endpointOptions()
	return dynamodb.New(options), nil
}
