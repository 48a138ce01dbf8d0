// Batched StreamingPull (-batched-pull): an opt-in mode for benchmarks.
//
// Why it exists: pstest's own StreamingPull hands each stream at most one message per 10 ms tick (one message per
// StreamingPullResponse, through an unbuffered channel), so a benchmark of a Pub/Sub source against it measures the
// fake (~100 messages/s per stream), not the source. The real service sends many messages per response. In this
// mode the fake serves StreamingPull itself, on top of pstest's exported API only (no copy of pstest's code): each
// stream repeatedly calls pstest's unary Pull (which already handles ack ids, ack deadlines, ordering keys, dead
// letters and filters) for up to 1000 messages and sends what it gets in ONE response, while honouring the stream's
// max_outstanding_messages / max_outstanding_bytes. Every other RPC is pstest's own. Tests keep pstest's own
// StreamingPull (the flag is off by default).
package main

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"sync"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	// maxBatch is the most messages one StreamingPullResponse carries (the real service's Pull limit).
	maxBatch = 1000
	// After an empty Pull a stream waits idlePoll before pulling again, doubling up to maxIdlePoll while Pulls
	// stay empty (each Pull walks all the subscription's messages, outstanding ones included); an ack or nack that
	// frees flow-control room on the stream wakes it earlier.
	idlePoll    = 5 * time.Millisecond
	maxIdlePoll = 40 * time.Millisecond
)

// serveBatched serves pstest's Publisher and SchemaService as they are and Subscriber through batchedSubscriber
// on its own gRPC server at addr. It returns the server (to stop) and the address it listens on.
func serveBatched(srv *pstest.Server, addr string) (*grpc.Server, string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	gs := grpc.NewServer()
	pubsubpb.RegisterPublisherServer(gs, &srv.GServer)
	pubsubpb.RegisterSchemaServiceServer(gs, &srv.GServer)
	pubsubpb.RegisterSubscriberServer(gs, newBatchedSubscriber(&srv.GServer))
	go func() {
		if err := gs.Serve(l); err != nil {
			log.Printf("batched-pull server: %v", err)
		}
	}()
	return gs, l.Addr().String(), nil
}

// batchedSubscriber is pstest's Subscriber with StreamingPull replaced. Acknowledge and ModifyAckDeadline are
// pstest's, plus bookkeeping of which stream handed out each ack id (for the stream's flow control: the Node
// client acks and nacks through these unary RPCs, not through the stream).
type batchedSubscriber struct {
	*pstest.GServer

	mu     sync.Mutex
	owners map[string]*pullStream // ack id → the stream that handed it out and still counts it as outstanding
}

func newBatchedSubscriber(gs *pstest.GServer) *batchedSubscriber {
	return &batchedSubscriber{GServer: gs, owners: map[string]*pullStream{}}
}

// lease is one message handed out on a stream and not yet acked, nacked or expired.
type lease struct {
	bytes    int64
	deadline time.Time
}

// pullStream is one StreamingPull call's flow-control state; its fields are guarded by batchedSubscriber.mu.
type pullStream struct {
	subscription string
	maxMessages  int64 // 0: no limit
	maxBytes     int64 // 0: no limit
	ackDeadline  time.Duration
	leases       map[string]lease
	bytes        int64
	room         chan struct{} // signalled (capacity 1) when leases are released
}

func (st *pullStream) wake() {
	select {
	case st.room <- struct{}{}:
	default:
	}
}

// Acknowledge is pstest's, then frees the acked messages' flow-control room on the streams that handed them out.
func (b *batchedSubscriber) Acknowledge(ctx context.Context, req *pubsubpb.AcknowledgeRequest) (*emptypb.Empty, error) {
	res, err := b.GServer.Acknowledge(ctx, req)
	if err == nil {
		b.release(req.GetAckIds())
	}
	return res, err
}

// ModifyAckDeadline is pstest's, then a nack (0 s) frees the message's flow-control room and an extension moves
// the lease's deadline.
func (b *batchedSubscriber) ModifyAckDeadline(ctx context.Context, req *pubsubpb.ModifyAckDeadlineRequest) (*emptypb.Empty, error) {
	res, err := b.GServer.ModifyAckDeadline(ctx, req)
	if err == nil {
		if req.GetAckDeadlineSeconds() == 0 {
			b.release(req.GetAckIds())
		} else {
			b.extend(req.GetAckIds(), secs(req.GetAckDeadlineSeconds()))
		}
	}
	return res, err
}

func (b *batchedSubscriber) release(ackIDs []string) {
	var woken []*pullStream
	b.mu.Lock()
	for _, id := range ackIDs {
		st := b.owners[id]
		if st == nil {
			continue
		}
		delete(b.owners, id)
		st.bytes -= st.leases[id].bytes
		delete(st.leases, id)
		if len(woken) == 0 || woken[len(woken)-1] != st {
			woken = append(woken, st)
		}
	}
	b.mu.Unlock()
	for _, st := range woken {
		st.wake()
	}
}

func (b *batchedSubscriber) extend(ackIDs []string, d time.Duration) {
	deadline := time.Now().Add(d)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ackIDs {
		if st := b.owners[id]; st != nil {
			l := st.leases[id]
			l.deadline = deadline
			st.leases[id] = l
		}
	}
}

// track records messages handed out on st.
func (b *batchedSubscriber) track(st *pullStream, msgs []*pubsubpb.ReceivedMessage, deadline time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, m := range msgs {
		n := int64(len(m.GetMessage().GetData()))
		if prev := b.owners[m.AckId]; prev != nil { // cannot happen (ack ids carry the delivery count); be safe
			prev.bytes -= prev.leases[m.AckId].bytes
			delete(prev.leases, m.AckId)
		}
		b.owners[m.AckId] = st
		st.leases[m.AckId] = lease{bytes: n, deadline: deadline}
		st.bytes += n
	}
}

// room is how many messages st may pull now (0: wait). When the stream is at its limit, leases whose deadline
// passed (pstest makes those messages available again) stop counting.
func (b *batchedSubscriber) room(st *pullStream) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.roomLocked(st)
	if n == 0 {
		now := time.Now()
		for id, l := range st.leases {
			if now.After(l.deadline) {
				delete(b.owners, id)
				delete(st.leases, id)
				st.bytes -= l.bytes
			}
		}
		n = b.roomLocked(st)
	}
	return n
}

func (b *batchedSubscriber) roomLocked(st *pullStream) int {
	n := int64(maxBatch)
	if st.maxMessages > 0 {
		n = min(n, st.maxMessages-int64(len(st.leases)))
	}
	if st.maxBytes > 0 && st.bytes >= st.maxBytes {
		n = 0
	}
	return int(max(n, 0))
}

// drop forgets a finished stream's leases (their messages stay outstanding in pstest until acked or expired).
func (b *batchedSubscriber) drop(st *pullStream) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for id := range st.leases {
		if b.owners[id] == st {
			delete(b.owners, id)
		}
	}
	st.leases = map[string]lease{}
	st.bytes = 0
}

func (b *batchedSubscriber) streamAckDeadline(st *pullStream) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return st.ackDeadline
}

// StreamingPull serves one stream: the first request names the subscription and the stream's ack deadline and
// flow control; then this goroutine pulls and sends batches while a second one handles the client's requests
// (acks, modacks, keep-alive pings). Ends with nil when the client closes its side.
func (b *batchedSubscriber) StreamingPull(sps pubsubpb.Subscriber_StreamingPullServer) error {
	first, err := sps.Recv()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(sps.Context())
	defer cancel()
	sub, err := b.GServer.GetSubscription(ctx, &pubsubpb.GetSubscriptionRequest{Subscription: first.GetSubscription()})
	if err != nil {
		return err
	}
	subDeadline := secs(sub.GetAckDeadlineSeconds())
	if subDeadline == 0 {
		subDeadline = 10 * time.Second // pstest's default for a subscription without one
	}
	st := &pullStream{
		subscription: first.GetSubscription(),
		maxMessages:  first.GetMaxOutstandingMessages(),
		maxBytes:     first.GetMaxOutstandingBytes(),
		ackDeadline:  subDeadline,
		leases:       map[string]lease{},
		room:         make(chan struct{}, 1),
	}
	if first.GetStreamAckDeadlineSeconds() > 0 {
		st.ackDeadline = secs(first.GetStreamAckDeadlineSeconds())
	}
	defer b.drop(st)
	props := &pubsubpb.StreamingPullResponse_SubscriptionProperties{
		ExactlyOnceDeliveryEnabled: sub.GetEnableExactlyOnceDelivery(),
		MessageOrderingEnabled:     sub.GetEnableMessageOrdering(),
	}

	// gRPC allows one Send at a time, and none after this handler returns.
	var sendMu sync.Mutex
	finished := false
	send := func(res *pubsubpb.StreamingPullResponse) error {
		sendMu.Lock()
		defer sendMu.Unlock()
		if finished {
			return io.EOF
		}
		return sps.Send(res)
	}
	defer func() {
		sendMu.Lock()
		finished = true
		sendMu.Unlock()
	}()

	b.handleRequest(ctx, st, first, 0, send) // acks/modacks in the first request, if any (no ping reply)
	recvErr := make(chan error, 1)
	go func() {
		for {
			req, err := sps.Recv()
			if err != nil {
				recvErr <- err
				cancel()
				return
			}
			b.handleRequest(ctx, st, req, first.GetProtocolVersion(), send)
		}
	}()

	err = b.pullLoop(ctx, st, subDeadline, props, send)
	select {
	case rerr := <-recvErr:
		if err == nil { // the pull loop ended because the receiving side did
			if errors.Is(rerr, io.EOF) {
				return nil // the client closed its side
			}
			return rerr
		}
	default:
	}
	if err == nil && sps.Context().Err() != nil {
		return status.FromContextError(sps.Context().Err()).Err()
	}
	return err
}

// pullLoop pulls and sends batches until ctx ends (nil) or Pull or Send fails (that error).
func (b *batchedSubscriber) pullLoop(ctx context.Context, st *pullStream, subDeadline time.Duration,
	props *pubsubpb.StreamingPullResponse_SubscriptionProperties, send func(*pubsubpb.StreamingPullResponse) error) error {
	timer := time.NewTimer(idlePoll)
	defer timer.Stop()
	wait := idlePoll
	for {
		if ctx.Err() != nil {
			return nil
		}
		if n := b.room(st); n > 0 {
			res, err := b.GServer.Pull(ctx, &pubsubpb.PullRequest{
				Subscription: st.subscription, MaxMessages: int32(n), ReturnImmediately: true,
			})
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err // e.g. NOT_FOUND once the subscription is deleted, as the real service ends the stream
			}
			if got := res.GetReceivedMessages(); len(got) > 0 {
				// pstest's Pull returns its own message records (it changes their ack ids on redelivery under its
				// lock); send copies.
				msgs := make([]*pubsubpb.ReceivedMessage, len(got))
				ids := make([]string, len(got))
				for i, m := range got {
					msgs[i] = &pubsubpb.ReceivedMessage{AckId: m.AckId, Message: m.Message, DeliveryAttempt: m.DeliveryAttempt}
					ids[i] = m.AckId
				}
				// Pull leased them for the subscription's ack deadline; the stream may have asked for another.
				deadline := b.streamAckDeadline(st)
				if deadline != subDeadline {
					_, _ = b.GServer.ModifyAckDeadline(ctx, &pubsubpb.ModifyAckDeadlineRequest{
						Subscription: st.subscription, AckIds: ids, AckDeadlineSeconds: int32(deadline / time.Second),
					})
				}
				b.track(st, msgs, time.Now().Add(deadline))
				if err := send(&pubsubpb.StreamingPullResponse{ReceivedMessages: msgs, SubscriptionProperties: props}); err != nil {
					if ctx.Err() != nil {
						return nil
					}
					return err
				}
				wait = idlePoll
				continue
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-st.room:
			wait = idlePoll
		case <-timer.C:
			wait = min(2*wait, maxIdlePoll)
		}
	}
}

// handleRequest applies one client request on the stream: acks, modacks (0 s = nack), a new stream ack deadline;
// an empty request is a keep-alive ping, answered with an empty response for protocol_version >= 1 (as pstest).
func (b *batchedSubscriber) handleRequest(ctx context.Context, st *pullStream, req *pubsubpb.StreamingPullRequest,
	protocolVersion int64, send func(*pubsubpb.StreamingPullResponse) error) {
	if d := req.GetStreamAckDeadlineSeconds(); d > 0 {
		b.mu.Lock()
		st.ackDeadline = secs(d)
		b.mu.Unlock()
	}
	if len(req.GetAckIds()) == 0 && len(req.GetModifyDeadlineAckIds()) == 0 {
		if protocolVersion >= 1 {
			_ = send(&pubsubpb.StreamingPullResponse{})
		}
		return
	}
	if len(req.GetAckIds()) > 0 {
		_, _ = b.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: st.subscription, AckIds: req.GetAckIds()})
	}
	ids, seconds := req.GetModifyDeadlineAckIds(), req.GetModifyDeadlineSeconds()
	if len(seconds) != len(ids) {
		return // malformed (the real service rejects it); pstest would index out of range
	}
	// One ModifyAckDeadline per run of equal deadlines.
	for i := 0; i < len(ids); {
		j := i + 1
		for j < len(ids) && seconds[j] == seconds[i] {
			j++
		}
		_, _ = b.ModifyAckDeadline(ctx, &pubsubpb.ModifyAckDeadlineRequest{
			Subscription: st.subscription, AckIds: ids[i:j], AckDeadlineSeconds: seconds[i],
		})
		i = j
	}
}

func secs(s int32) time.Duration { return time.Duration(s) * time.Second }

var _ pubsubpb.SubscriberServer = (*batchedSubscriber)(nil)
