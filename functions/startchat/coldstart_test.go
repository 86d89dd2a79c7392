package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
)

func TestColdStartWarnsOfExpiringCertificate(t *testing.T) {
	s := newStack(t) // the local identity's certificate is valid for one day
	s.handler.checkAtColdStart(context.Background())
	logs := s.logs.String()
	if !strings.Contains(logs, "the certificate expires soon") {
		t.Errorf("cold-start log = %s, want a warning about the certificate", logs)
	}
	if strings.Contains(logs, "HTTP triggers will reject") {
		t.Errorf("cold-start log = %s, want no webhook warning when a webhookSecret is set", logs)
	}
}

func TestColdStartReportsBrokenSecret(t *testing.T) {
	s := newStack(t)
	s.secretID += "-broken"
	s.putSecret(t, &secretsmanager.CreateSecretInput{SecretString: aws.String(`{"instance":"acme.test","webhookSecret":"x"}`)})
	s.handler.secrets = awssecret.New(s.secrets, s.secretID, time.Minute, nil)
	s.handler.checkAtColdStart(context.Background())
	if logs := s.logs.String(); !strings.Contains(logs, "missing required fields: clientId, user, privateKey") {
		t.Errorf("cold-start log = %s, want the missing fields", logs)
	}
}

func TestColdStartSurvivesUnreadableSecret(t *testing.T) {
	s := newStack(t)
	s.handler.secrets = awssecret.New(s.secrets, "ofs/none", time.Minute, nil)
	s.handler.checkAtColdStart(context.Background())
	if logs := s.logs.String(); !strings.Contains(logs, "retrying on the first event") ||
		!strings.Contains(logs, "ResourceNotFoundException") {
		t.Errorf("cold-start log = %s, want the read failure", logs)
	}
}
