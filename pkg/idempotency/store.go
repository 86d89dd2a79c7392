// Package idempotency keeps a record of each event the function handled,
// in a DynamoDB table, so that a redelivered event returns the chat that the
// first delivery started instead of starting another.
//
// Each event key goes through two states. Begin writes an in-progress
// record with a conditional write that succeeds for one caller only; the
// record expires at the invocation's deadline, so a function that crashed
// between OFS starting the chat and Complete does not block the key
// forever. Complete replaces it with a completed record that holds the
// chat and is kept for the store's TTL. Release deletes an in-progress
// record when no chat started, so a retry may try again at once.
package idempotency

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DefaultTTL is how long a completed record is kept when Store.TTL is
// zero: a day covers SQS's and Lambda's redelivery windows.
const DefaultTTL = 24 * time.Hour

// Attribute names in the table. The partition key is "key", a string, and
// DynamoDB's time to live is set on "expiresAt".
const (
	attrKey        = "key"
	attrStatus     = "status"
	attrResult     = "result"
	attrExpiresAt  = "expiresAt"
	statusProgress = "IN_PROGRESS"
	statusDone     = "COMPLETED"
)

// API is the part of the DynamoDB client the store calls.
type API interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

// Store records handled events in one table.
type Store struct {
	client API
	table  string
	ttl    time.Duration
	now    func() time.Time
}

// New returns a store on table. A ttl of zero means DefaultTTL; now nil
// means time.Now.
func New(client API, table string, ttl time.Duration, now func() time.Time) *Store {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Store{client: client, table: table, ttl: ttl, now: now}
}

// Table returns the table name.
func (s *Store) Table() string { return s.table }

// InProgressError reports an event that another invocation is handling now.
// It is temporary: once that invocation completes, the stored result is
// returned; if it crashed, the record expires at RetryAfter.
type InProgressError struct {
	Key        string
	RetryAfter time.Duration
}

func (e *InProgressError) Error() string {
	return fmt.Sprintf("idempotency: event %q is being handled by another invocation; retry in %s",
		e.Key, e.RetryAfter.Round(time.Second))
}

// Temporary reports true: the event can be retried.
func (e *InProgressError) Temporary() bool { return true }

// Error reports a failed table operation.
type Error struct {
	Table string
	Op    string
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("idempotency: %s on table %q failed: %v; check that the table exists and "+
		"that the function may call dynamodb:PutItem, GetItem and DeleteItem on it", e.Op, e.Table, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Begin claims key until the in-progress record expires at until. It
// returns the stored result when the event was already handled, nil when
// the caller now owns the key, or an *InProgressError when another
// invocation holds it.
func (s *Store) Begin(ctx context.Context, key string, until time.Time) (result []byte, err error) {
	now := s.now()
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			attrKey:    &types.AttributeValueMemberS{Value: key},
			attrStatus: &types.AttributeValueMemberS{Value: statusProgress},
			// Rounded up, so that the claim never expires before its holder's
			// deadline; :now is rounded down.
			attrExpiresAt: unixSecondsCeil(until),
		},
		// Free keys, and records whose holder ran past its deadline or
		// whose retention ended (DynamoDB deletes expired items only
		// eventually), may be claimed.
		ConditionExpression:      aws.String("attribute_not_exists(#k) OR #e <= :now"),
		ExpressionAttributeNames: map[string]string{"#k": attrKey, "#e": attrExpiresAt},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": unixSeconds(now),
		},
	})
	var conflict *types.ConditionalCheckFailedException
	if err == nil {
		return nil, nil
	}
	if !errors.As(err, &conflict) {
		return nil, &Error{Table: s.table, Op: "PutItem", Err: err}
	}
	return s.existing(ctx, key, now)
}

// existing reads the record that made Begin's write fail.
func (s *Store) existing(ctx context.Context, key string, now time.Time) ([]byte, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: key}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, &Error{Table: s.table, Op: "GetItem", Err: err}
	}
	status, _ := out.Item[attrStatus].(*types.AttributeValueMemberS)
	result, _ := out.Item[attrResult].(*types.AttributeValueMemberS)
	if status != nil && status.Value == statusDone && result != nil {
		return []byte(result.Value), nil
	}
	wait := time.Second
	if expires, ok := out.Item[attrExpiresAt].(*types.AttributeValueMemberN); ok {
		if seconds, err := strconv.ParseInt(expires.Value, 10, 64); err == nil {
			wait = max(time.Unix(seconds, 0).Sub(now), time.Second)
		}
	}
	return nil, &InProgressError{Key: key, RetryAfter: wait}
}

// Complete stores the result for key, kept for the store's TTL.
func (s *Store) Complete(ctx context.Context, key string, result []byte) error {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			attrKey:       &types.AttributeValueMemberS{Value: key},
			attrStatus:    &types.AttributeValueMemberS{Value: statusDone},
			attrResult:    &types.AttributeValueMemberS{Value: string(result)},
			attrExpiresAt: unixSeconds(s.now().Add(s.ttl)),
		},
	})
	if err != nil {
		return &Error{Table: s.table, Op: "PutItem", Err: err}
	}
	return nil
}

// Release deletes key's in-progress record, so that a retry of an event
// that started no chat is handled again. A completed record is kept.
func (s *Store) Release(ctx context.Context, key string) error {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(s.table),
		Key:                       map[string]types.AttributeValue{attrKey: &types.AttributeValueMemberS{Value: key}},
		ConditionExpression:       aws.String("#s = :progress"),
		ExpressionAttributeNames:  map[string]string{"#s": attrStatus},
		ExpressionAttributeValues: map[string]types.AttributeValue{":progress": &types.AttributeValueMemberS{Value: statusProgress}},
	})
	var conflict *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &conflict) {
		return &Error{Table: s.table, Op: "DeleteItem", Err: err}
	}
	return nil
}

func unixSeconds(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

func unixSecondsCeil(t time.Time) types.AttributeValue {
	seconds := t.Unix()
	if t.After(time.Unix(seconds, 0)) {
		seconds++
	}
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(seconds, 10)}
}
