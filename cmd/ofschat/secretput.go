package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// secretDescriptionText is the Description of a secret that --put creates.
const secretDescriptionText = "OFS credentials for ofs-startchat, written by ofschat secret"

// putResult describes what --put did, without the secret's value.
type putResult struct {
	name      string
	created   bool
	arn       string
	versionID string
	kept      []string // members of the old value that were carried over
}

func (r putResult) String() string {
	if r.created {
		return fmt.Sprintf("Created Secrets Manager secret %q (%s), version %s.", r.name, r.arn, r.versionID)
	}
	text := fmt.Sprintf("Stored version %s of Secrets Manager secret %q (%s).", r.versionID, r.name, r.arn)
	if len(r.kept) > 0 {
		text += fmt.Sprintf("\nKept these members of the previous value: %s.", strings.Join(r.kept, ", "))
	}
	return text
}

// putSecret creates the secret name with value, or, when it exists, stores
// value as its new current version.
func putSecret(ctx context.Context, name string, value []byte) (putResult, error) {
	client, err := newSecretsClient(ctx)
	if err != nil {
		return putResult{}, err
	}
	result := putResult{name: name}
	created, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		Description:  aws.String(secretDescriptionText),
		SecretString: aws.String(string(value)),
	})
	if err == nil {
		result.created = true
		result.arn, result.versionID = aws.ToString(created.ARN), aws.ToString(created.VersionId)
		return result, nil
	}
	var exists *types.ResourceExistsException
	if !errors.As(err, &exists) {
		return putResult{}, describePutError(name, "creating", err)
	}

	current, err := awssecret.New(client, name, 0, nil).Get(ctx)
	if err != nil {
		return putResult{}, describeSecretError(err)
	}
	value, result.kept = keepOtherMembers(value, current.Value)
	put, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:     aws.String(name),
		SecretString: aws.String(string(value)),
	})
	if err != nil {
		return putResult{}, describePutError(name, "updating", err)
	}
	result.arn, result.versionID = aws.ToString(put.ARN), aws.ToString(put.VersionId)
	return result, nil
}

// keepOtherMembers appends to the secret JSON value every member of the old
// value that neither value nor ParseCredentials has, such as a member that
// another tool stores in the same secret, and returns their names. An old
// value that is not a JSON object keeps nothing.
func keepOtherMembers(value, old []byte) ([]byte, []string) {
	var oldMembers, newMembers map[string]json.RawMessage
	if json.Unmarshal(old, &oldMembers) != nil || json.Unmarshal(value, &newMembers) != nil {
		return value, nil
	}
	known := ofs.SecretFieldNames()
	var kept []string
	for name := range oldMembers {
		if _, set := newMembers[name]; !set && !slices.Contains(known, name) {
			kept = append(kept, name)
		}
	}
	sort.Strings(kept)
	for _, name := range kept {
		value = appendMember(value, name, oldMembers[name])
	}
	return value, kept
}

// appendMember adds the member name with the JSON value raw to the JSON
// object data, which must have at least one member.
func appendMember(data []byte, name string, raw json.RawMessage) []byte {
	var merged bytes.Buffer
	merged.Write(bytes.TrimSuffix(bytes.TrimSpace(data), []byte("}")))
	merged.WriteByte(',')
	merged.Write(mustJSONString(name))
	merged.WriteByte(':')
	merged.Write(raw)
	merged.WriteByte('}')
	return merged.Bytes()
}

// describePutError adds the fix for the usual causes to a CreateSecret or
// PutSecretValue error. SDK errors never contain the secret value.
func describePutError(name, action string, err error) error {
	var apiErr smithy.APIError
	errors.As(err, &apiErr)
	switch {
	case apiErr != nil && apiErr.ErrorCode() == "AccessDeniedException":
		return fmt.Errorf("%s secret %q was denied; your AWS identity needs "+
			"secretsmanager:CreateSecret, secretsmanager:GetSecretValue and "+
			"secretsmanager:PutSecretValue on it: %w", action, name, err)
	case apiErr != nil && strings.Contains(apiErr.ErrorMessage(), "scheduled for deletion"):
		return fmt.Errorf("secret %q is scheduled for deletion; restore it with aws secretsmanager "+
			"restore-secret --secret-id %s, or use another name: %w", name, name, err)
	}
	return fmt.Errorf("%s secret %q failed: %w", action, name, err)
}
